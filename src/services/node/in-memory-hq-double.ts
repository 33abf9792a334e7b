/**
 * A test double for HQ, for the node's service tests only: it keeps what the node reported in
 * memory and lets a test cut the link (UNAVAILABLE) or take a lease away (LEASE_CONFLICT).
 */
import { CorticalError } from '../../core/errors.js';
import type { NodeCommand } from '../../core/node-command.js';
import type { HqLink, NodeIdentity } from '../../core/ports/hq-link.js';
import type { IterationReport, NewLogLine } from '../../core/ports/store.js';
import type { Guidance, Task, TaskDesire } from '../../core/task.js';

type ProgressInput = Parameters<HqLink['reportProgress']>[0];
type CompleteInput = Parameters<HqLink['completeAttempt']>[0];

export class InMemoryHqDouble implements HqLink {
  readonly tasks = new Map<string, Task>();
  readonly progress: ProgressInput[] = [];
  readonly logs: NewLogLine[] = [];
  readonly iterations: IterationReport[] = [];
  readonly completions: CompleteInput[] = [];
  readonly started: { taskId: string; workspacePath: string }[] = [];
  readonly guidance = new Map<string, Guidance[]>();
  readonly calls: string[] = [];
  /** Commands the next heartbeat delivers (then cleared), and the results the node reported. */
  readonly commands: NodeCommand[] = [];
  readonly commandResults: Parameters<HqLink['reportCommandResult']>[0][] = [];
  desired = new Map<string, TaskDesire>();
  killSwitch = false;
  lockdown = false;
  unavailable = false;
  lostLeases = new Set<string>();
  joins = 0;
  refreshes = 0;
  identity: NodeIdentity | null = null;
  accessTtlMs = 3_600_000;
  nowMs = () => Date.now();

  private check(taskId?: string): void {
    if (this.unavailable) throw new CorticalError('UNAVAILABLE', 'HQ is down (test)', {}, true);
    if (taskId !== undefined && this.lostLeases.has(taskId)) throw new CorticalError('LEASE_CONFLICT', 'lease gone (test)');
  }

  private credential(n: number): NodeIdentity {
    return {
      nodeId: 'node_1',
      accessToken: `tok_a${n}.secretsecretsecret`,
      accessExpiresAt: this.nowMs() + this.accessTtlMs,
      refreshToken: `tok_r${n}.secretsecretsecret`,
      leaseTtlMs: 3000,
      heartbeatIntervalMs: 100,
    };
  }

  join(): Promise<NodeIdentity> {
    this.calls.push('join');
    this.check();
    this.joins += 1;
    return Promise.resolve(this.credential(this.joins));
  }

  refresh(): Promise<NodeIdentity> {
    this.calls.push('refresh');
    this.check();
    this.refreshes += 1;
    return Promise.resolve(this.credential(100 + this.refreshes));
  }

  setIdentity(identity: NodeIdentity): void {
    this.identity = identity;
  }

  heartbeat(): ReturnType<HqLink['heartbeat']> {
    this.calls.push('heartbeat');
    this.check();
    const leases = [...this.tasks.values()].filter((t) => t.state === 'leased' || t.state === 'running' || t.state === 'paused');
    return Promise.resolve({
      node: {
        id: 'node_1', name: 'n', capabilities: [], slots: 2, activeLeases: leases.length, liveness: 'ready',
        scheduling: 'active', resources: { cpuCount: 1, loadAvg1: 0, memTotalMb: 1, memFreeMb: 1 }, version: 't', joinedAt: 0, lastHeartbeatAt: 0,
      },
      killSwitch: this.killSwitch,
      lockdown: this.lockdown,
      leases,
      commands: this.commands.splice(0),
    });
  }

  reportCommandResult(input: Parameters<HqLink['reportCommandResult']>[0]): Promise<void> {
    this.calls.push('command-result');
    this.check();
    this.commandResults.push(input);
    return Promise.resolve();
  }

  startAttempt(input: { taskId: string; fencingToken: number; workspacePath: string }): Promise<Task> {
    this.calls.push('start');
    this.check(input.taskId);
    this.started.push({ taskId: input.taskId, workspacePath: input.workspacePath });
    const t = this.tasks.get(input.taskId)!;
    return Promise.resolve(t);
  }

  /** In-process: no credentials, no git URL (the node uses the repository's path itself). */
  taskCredential(): Promise<null> {
    return Promise.resolve(null);
  }

  taskGitUrl(): null {
    return null;
  }

  renewLease(input: { taskId: string; fencingToken: number }): ReturnType<HqLink['renewLease']> {
    this.calls.push('renew');
    this.check(input.taskId);
    const t = this.tasks.get(input.taskId)!;
    return Promise.resolve({
      task: t,
      leaseExpiresAt: this.nowMs() + 3000,
      desired: this.desired.get(t.id) ?? 'run',
      pendingGuidance: (this.guidance.get(t.id) ?? []).filter((g) => g.deliveredAt === null),
      killSwitch: this.killSwitch,
    });
  }

  reportProgress(input: ProgressInput): Promise<Task> {
    this.check(input.taskId);
    this.progress.push(input);
    this.logs.push(...input.logs);
    this.iterations.push(...input.iterations);
    const t = this.tasks.get(input.taskId)!;
    if (input.guidanceDeliveredSeq !== undefined) {
      const list = this.guidance.get(t.id) ?? [];
      this.guidance.set(t.id, list.map((g) => (g.seq <= input.guidanceDeliveredSeq! && g.deliveredAt === null ? { ...g, deliveredAt: 1 } : g)));
    }
    const next: Task = { ...t, state: input.observed ?? (t.state === 'leased' ? 'leased' : t.state), usage: input.usage ?? t.usage };
    this.tasks.set(t.id, next);
    return Promise.resolve(next);
  }

  completeAttempt(input: CompleteInput): Promise<Task> {
    this.calls.push('complete');
    this.check(input.taskId);
    this.completions.push(input);
    const t = this.tasks.get(input.taskId)!;
    const state = input.outcome === 'requeue' ? 'queued' : input.outcome;
    const next: Task = { ...t, state, reason: input.reason, usage: input.usage ?? t.usage };
    this.tasks.set(t.id, next);
    return Promise.resolve(next);
  }

  addGuidance(taskId: string, text: string): Guidance {
    const list = this.guidance.get(taskId) ?? [];
    const g: Guidance = { taskId, seq: list.length + 1, text, createdAt: 0, actor: 'test', deliveredAt: null };
    this.guidance.set(taskId, [...list, g]);
    return g;
  }

  /** Text of every log line received, in order. */
  logText(): string[] {
    return this.logs.map((l) => l.text);
  }

  lastObserved(taskId: string): ProgressInput | undefined {
    return [...this.progress].reverse().find((p) => p.taskId === taskId && p.observed !== undefined);
  }
}
