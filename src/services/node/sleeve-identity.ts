import type { HqLink, TaskCredential } from '../../core/ports/hq-link.js';
import type { GitRemote } from '../../core/ports/workspace.js';
import type { Task } from '../../core/task.js';

/** Where the current task credential is kept inside the sleeve's HOME. */
export const TOKEN_FILE = '.cortical/task-token';

/** Writes a file under a sleeve HOME atomically (Workspaces.writeHomeFile). */
export type WriteHomeFile = (homePath: string, relativePath: string, content: string) => Promise<void>;

/**
 * The task-specific identity of a sleeve, anchored anew for every iteration: the lease-scoped
 * credential (fetched at attempt start, replaced on every lease renewal and rewritten into the
 * sleeve's HOME, so a long iteration always finds a valid one), the task's git remote on HQ, and
 * the environment that tells the agent where both are. Nothing long-lived enters a sleeve.
 */
export class SleeveIdentity {
  private credential: TaskCredential | null = null;
  private homePath: string | null = null;

  constructor(
    private readonly task: Task,
    private readonly hq: HqLink,
    private readonly writeHomeFile: WriteHomeFile,
  ) {}

  /** HQ's git URL for the task's repository; null without a repository or an HQ git remote. */
  get gitUrl(): string | null {
    return this.task.spec.repo === null ? null : this.hq.taskGitUrl(this.task.id);
  }

  /** Fetch the first credential (throws what the link throws: UNAVAILABLE, LEASE_CONFLICT …). */
  async init(): Promise<void> {
    if (this.credential !== null) return;
    const c = await this.hq.taskCredential({ taskId: this.task.id, fencingToken: this.task.fencingToken });
    if (c !== null) this.credential = c;
  }

  /** A fresh credential from a lease renewal. */
  async renewed(credential: TaskCredential): Promise<void> {
    if (this.credential !== null && credential.expiresAt <= this.credential.expiresAt) return;
    this.credential = credential;
    await this.writeToken();
  }

  /** The sleeve's HOME is known: keep the token file there current. */
  async anchor(homePath: string): Promise<void> {
    this.homePath = homePath;
    await this.writeToken();
  }

  /** How the node reaches the task's repository on HQ, with the current credential. */
  remote(): GitRemote | null {
    const url = this.gitUrl;
    if (url === null) return null;
    return { url, headers: this.credential === null ? {} : { Authorization: `Bearer ${this.credential.token}` } };
  }

  /** What the agent is told about its identity (never the credential itself, only its file). */
  env(): Record<string, string> {
    const env: Record<string, string> = { CORTICAL_TASK_ID: this.task.id, CORTICAL_ATTEMPT: String(this.task.attempts) };
    if (this.homePath !== null && this.credential !== null) env.CORTICAL_TASK_TOKEN_FILE = `${this.homePath}/${TOKEN_FILE}`;
    const url = this.gitUrl;
    if (url !== null) env.CORTICAL_GIT_REMOTE = url;
    return env;
  }

  private async writeToken(): Promise<void> {
    if (this.homePath === null || this.credential === null) return;
    await this.writeHomeFile(this.homePath, TOKEN_FILE, `${this.credential.token}\n`);
  }
}
