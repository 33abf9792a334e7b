import { spawn, type ChildProcess } from 'node:child_process';
import { CorticalError } from '../../../core/errors.js';
import { sleeveLines } from './sleeve-lines.js';
import type { Runtime, Sleeve, SleeveExit, SleeveInput, SpawnSpec } from '../../../core/ports/runtime.js';
import { handStdin } from './sleeve-input.js';
import { groupAlive, signalGroup, waitGroupGone } from './process-group.js';

/** How long processes left behind by an exited leader get between SIGTERM and SIGKILL. */
const LEFTOVER_GRACE_MS = 1000;
/** How long to wait for a SIGKILLed group to vanish before giving up on it. */
const KILL_WAIT_MS = 10_000;

export interface ProcessRuntimeOptions {
  /** Longest line kept from stdout/stderr (characters). */
  readonly maxLineChars?: number;
  /** Lines buffered before the child's output is paused (back-pressure). */
  readonly lineHighWater?: number;
}

type Line = { stream: 'stdout' | 'stderr'; text: string };

/**
 * The `process` runtime: each sleeve is a plain child process that leads its own process group
 * (`detached`), so the whole tree (grandchildren included) is signalled at once. Unsandboxed: it
 * sees the node's filesystem and network. Only the given environment is passed on.
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  readonly sandboxed = false;

  constructor(private readonly options: ProcessRuntimeOptions = {}) {}

  async spawn(spec: SpawnSpec): Promise<Sleeve> {
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: { ...spec.env },
        detached: true,
        stdio: [spec.stdin === undefined && spec.keepStdinOpen !== true ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    } catch (e) {
      throw new CorticalError('UNAVAILABLE', `cannot start ${spec.command}: ${(e as Error).message}`);
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e) =>
        reject(new CorticalError('UNAVAILABLE', `cannot start ${spec.command}: ${e.message}`, { command: spec.command })),
      );
    });
    if (child.pid === undefined) throw new CorticalError('UNAVAILABLE', `cannot start ${spec.command}: no pid`);
    const input = spec.stdin !== undefined || spec.keepStdinOpen === true ? handStdin(child.stdin, spec.stdin, spec.keepStdinOpen === true) : undefined;
    const sleeve = new ProcessSleeve(child, child.pid, this.options);
    sleeve.input = input;
    return sleeve;
  }
}

class ProcessSleeve implements Sleeve {
  input: SleeveInput | undefined = undefined;
  readonly lines: AsyncIterable<Line>;
  readonly exited: Promise<SleeveExit>;
  private stopping: Promise<void> | null = null;
  private stopRequestedBeforeExit = false;
  private killedAfterGrace = false;
  private leaderGone = false;
  private settled = false;

  constructor(
    child: ChildProcess,
    readonly pid: number,
    options: ProcessRuntimeOptions,
  ) {
    const queue = sleeveLines(child.stdout, child.stderr, options);
    this.lines = queue;

    const leaderExit = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.exited = leaderExit.then(async (leader) => {
      this.leaderGone = true;
      if (this.stopping === null) await this.endLeftovers();
      else await this.stopping;
      this.settled = true;
      const endedBy = this.killedAfterGrace ? 'killed_after_grace' : this.stopRequestedBeforeExit ? 'stopped' : 'exit';
      return { exitCode: leader.code, signal: leader.signal, endedBy } satisfies SleeveExit;
    });
  }

  suspend(): void {
    if (!this.settled) signalGroup(this.pid, 'SIGSTOP');
  }

  resume(): void {
    if (!this.settled) signalGroup(this.pid, 'SIGCONT');
  }

  stop(graceMs: number): Promise<SleeveExit> {
    if (this.settled) return this.exited;
    if (this.stopping === null) {
      if (!this.leaderGone) this.stopRequestedBeforeExit = true;
      this.stopping = this.terminate(graceMs);
    }
    return this.stopping.then(() => this.exited);
  }

  /** SIGTERM (and SIGCONT, so a suspended group can act on it), then SIGKILL after the grace. */
  private async terminate(graceMs: number): Promise<void> {
    if (!signalGroup(this.pid, 'SIGTERM')) return;
    signalGroup(this.pid, 'SIGCONT');
    if (await waitGroupGone(this.pid, Math.max(0, graceMs))) return;
    this.killedAfterGrace = true;
    signalGroup(this.pid, 'SIGKILL');
    await waitGroupGone(this.pid, KILL_WAIT_MS);
  }

  /** The leader exited by itself: processes it left behind in its group do not outlive it. */
  private async endLeftovers(): Promise<void> {
    if (!groupAlive(this.pid)) return;
    signalGroup(this.pid, 'SIGTERM');
    signalGroup(this.pid, 'SIGCONT');
    if (await waitGroupGone(this.pid, LEFTOVER_GRACE_MS)) return;
    signalGroup(this.pid, 'SIGKILL');
    await waitGroupGone(this.pid, KILL_WAIT_MS);
  }
}
