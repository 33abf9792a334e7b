import { isCorticalError } from '../../core/errors.js';
import type { HqLink, NodeIdentity } from '../../core/ports/hq-link.js';
import type { NodeStateStore } from '../../core/ports/node-state.js';
import type { SystemProbe } from '../../core/ports/system-probe.js';
import type { Runnable } from '../../core/runnable.js';
import type { Task } from '../../core/task.js';
import type { AgentChoice } from './agent-choice.js';
import { LoopRunner, type LoopRunnerDeps } from './loop-runner.js';
import type { WorkspaceCommandRunner } from './workspace-command-runner.js';
import type { NodeWatchdog, WatchedAttempt } from './node-watchdog.js';
import { Backoff, sleep } from './timers.js';

export interface NodeAgentConfig {
  readonly name: string;
  /** Needed only when no identity is stored yet (first start) or the stored one is revoked. */
  readonly joinToken: string | null;
  readonly capabilities: readonly string[];
  readonly slots: number;
  readonly version: string;
  /** Refresh the access credential this long before it expires. */
  readonly refreshBeforeExpiryMs?: number;
}

export interface NodeAgentDeps extends Omit<LoopRunnerDeps, 'hq'> {
  readonly hq: HqLink;
  readonly state: NodeStateStore;
  readonly probe: SystemProbe;
  readonly config: NodeAgentConfig;
  /** Called once the node has an identity (joined, or loaded from disk). */
  readonly onReady?: (identity: NodeIdentity) => void;
  /** Runs workspace commands (snapshot, revert, list) that heartbeats deliver; absent = none. */
  readonly commands?: WorkspaceCommandRunner;
  /** Reverts T2+ workspaces after a long gap in heartbeats (`docs/watchdog.md`); absent = none. */
  readonly watchdog?: NodeWatchdog;
}

interface Held {
  readonly task: Task;
  readonly runner: LoopRunner;
  readonly stopRenewing: AbortController;
  readonly done: Promise<void>;
}

const isAuthError = (e: unknown): boolean =>
  isCorticalError(e) && (e.code === 'UNAUTHENTICATED' || e.code === 'TOKEN_EXPIRED');
const isUnavailable = (e: unknown): boolean => isCorticalError(e) && (e.code === 'UNAVAILABLE' || e.retryable);

/**
 * The node: joins HQ once (identity kept on disk), keeps its access credential fresh, heartbeats
 * with its resources, runs a LoopRunner per leased task (up to `slots`), renews each lease about
 * every leaseTtlMs/3 and feeds HQ's desired state, guidance and kill switch to the runner. HQ
 * outages are ridden out: runners keep going and their progress waits in their outboxes.
 */
export class NodeAgent implements Runnable {
  private identity: NodeIdentity | null = null;
  private readonly held = new Map<string, Held>();
  private killSwitch = false;
  private lockdownOn = false;

  constructor(private readonly deps: NodeAgentDeps) {}

  /**
   * The fleet lockdown as HQ last told this node (heartbeats); while on, the node's policy gate
   * refuses every T2 and T3 tool call. Off until the first heartbeat says otherwise.
   */
  get lockdown(): boolean {
    return this.lockdownOn;
  }

  /** A held task's declared risk tier (undefined when the task is not held or declares none). */
  tierOf(taskId: string): Task['spec']['tier'] {
    return this.held.get(taskId)?.task.spec.tier;
  }

  /** Task ids of the attempts running now. */
  get runningTaskIds(): string[] {
    return [...this.held.keys()];
  }

  async start(signal: AbortSignal): Promise<void> {
    const identity = await this.ensureIdentity(signal);
    if (identity === null) return;
    this.deps.onReady?.(identity);
    const backoff = new Backoff(500, 30_000);
    while (!signal.aborted) {
      let waitMs = this.requireIdentity().heartbeatIntervalMs;
      try {
        await this.refreshIfDue();
        const hb = await this.deps.hq.heartbeat({
          resources: this.deps.probe.resources(),
          capabilities: this.deps.config.capabilities,
          slots: this.deps.config.slots,
        });
        backoff.reset();
        // before the leases: a revert must start while HQ's answer is not yet acted on
        this.deps.watchdog?.heartbeatSucceeded({ heartbeatIntervalMs: this.requireIdentity().heartbeatIntervalMs, attempts: this.watchedAttempts() });
        this.killSwitch = hb.killSwitch;
        this.setLockdown(hb.lockdown ?? false);
        this.reconcile(hb.leases, signal);
        this.deps.commands?.accept(hb.commands ?? [], (taskId) => this.held.get(taskId)?.runner.iterating ?? false);
      } catch (e) {
        this.deps.watchdog?.heartbeatFailed();
        if (isAuthError(e)) await this.refreshOrRejoin(signal).catch((err: unknown) => this.warn('credential refresh failed', err));
        else if (isUnavailable(e)) waitMs = backoff.nextDelayMs();
        else this.warn('heartbeat failed', e);
      }
      await sleep(waitMs, signal);
    }
    await Promise.all([...this.held.values()].map((h) => h.done));
    await this.deps.watchdog?.idle();
  }

  /**
   * The attempts as the watchdog sees them. Stopping one whose runner still holds its lease aborts
   * the iteration in progress (its sleeve is killed; the runner keeps its unsent progress and goes
   * on with the next iteration once the watchdog's gate opens). When HQ took the lease away (the
   * heartbeat's leases are reconciled before the watchdog's stop runs) the runner ends, as a lost
   * lease does: nothing is completed.
   */
  private watchedAttempts(): WatchedAttempt[] {
    return [...this.held.values()].map((h) =>
      watched(h.task, async () => {
        if (h.runner.holdsLease) return h.runner.abortIteration();
        h.runner.leaseLost();
        await h.done;
      }),
    );
  }

  private reconcile(leases: readonly Task[], signal: AbortSignal): void {
    const byId = new Map(leases.map((t) => [t.id, t]));
    for (const [taskId, h] of this.held) {
      const lease = byId.get(taskId);
      if (h.runner.result !== null) continue;
      if (lease === undefined || lease.fencingToken !== h.runner.fencingToken) {
        this.deps.logger.warn({ taskId }, 'lease no longer held; stopping the attempt');
        h.runner.leaseLost();
      }
    }
    for (const task of leases) {
      if (this.held.has(task.id)) continue;
      if (this.deps.watchdog?.reverting(task.id)) continue;
      if (this.held.size >= this.deps.config.slots) break;
      this.launch(task, signal);
    }
  }

  private launch(task: Task, signal: AbortSignal): void {
    const { watchdog, beforeIteration } = this.deps;
    // the next iteration waits for a watchdog revert of the task's workspace
    const gated: LoopRunnerDeps['beforeIteration'] =
      watchdog === undefined
        ? beforeIteration
        : async (input) => {
            await watchdog.gate(input.task.id);
            return (await beforeIteration?.(input)) ?? null;
          };
    const runner = new LoopRunner(task, { ...this.deps, beforeIteration: gated, logger: this.deps.logger.child({ taskId: task.id }) });
    const stopRenewing = new AbortController();
    const onAbort = (): void => stopRenewing.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    void this.renewLoop(runner, stopRenewing.signal);
    const done = runner
      .start(signal)
      .catch((e: unknown) => this.warn('attempt crashed', e))
      .finally(() => {
        stopRenewing.abort();
        signal.removeEventListener('abort', onAbort);
        this.held.delete(task.id);
        this.deps.watchdog?.attemptEnded(watched(task, () => Promise.resolve()));
        this.deps.logger.info({ taskId: task.id, result: runner.result }, 'attempt ended');
      });
    this.held.set(task.id, { task, runner, stopRenewing, done });
    this.deps.logger.info({ taskId: task.id, fencingToken: task.fencingToken }, 'attempt started');
  }

  private async renewLoop(runner: LoopRunner, signal: AbortSignal): Promise<void> {
    // Renewals carry the controls (pause, stop, guidance), so they run at least as often as
    // heartbeats; and at least three times per lease TTL so one lost renewal is harmless.
    const everyMs = (): number => {
      const id = this.requireIdentity();
      return Math.max(50, Math.min(Math.floor(id.leaseTtlMs / 3), id.heartbeatIntervalMs));
    };
    while (!signal.aborted) {
      try {
        const r = await this.deps.hq.renewLease({ taskId: runner.taskId, fencingToken: runner.fencingToken });
        runner.applyControls({ desired: r.desired, pendingGuidance: r.pendingGuidance, killSwitch: r.killSwitch || this.killSwitch, agent: agentOf(r.task) });
        if (r.credential !== undefined) runner.applyCredential(r.credential);
      } catch (e) {
        if (isCorticalError(e) && e.code === 'LEASE_CONFLICT') {
          runner.leaseLost();
          return;
        }
        if (isAuthError(e)) await this.refreshOrRejoin(signal).catch(() => undefined);
        else if (!isUnavailable(e)) this.warn('lease renewal failed', e);
      }
      await sleep(everyMs(), signal);
    }
  }

  private requireIdentity(): NodeIdentity {
    if (this.identity === null) throw new Error('node identity missing');
    return this.identity;
  }

  private async adopt(identity: NodeIdentity): Promise<void> {
    this.identity = identity;
    this.deps.hq.setIdentity(identity);
    await this.deps.state.save(identity);
  }

  /** The stored identity, or a new one from joining; retries while HQ is unreachable. */
  private async ensureIdentity(signal: AbortSignal): Promise<NodeIdentity | null> {
    const stored = await this.deps.state.load();
    if (stored !== null) {
      this.identity = stored;
      this.deps.hq.setIdentity(stored);
      this.deps.logger.info({ nodeId: stored.nodeId }, 'identity loaded');
      return stored;
    }
    const backoff = new Backoff(500, 30_000);
    while (!signal.aborted) {
      try {
        await this.join();
        return this.identity;
      } catch (e) {
        if (!isUnavailable(e)) throw e;
        await sleep(backoff.nextDelayMs(), signal);
      }
    }
    return null;
  }

  private async join(): Promise<void> {
    const { config } = this.deps;
    if (config.joinToken === null) throw new Error('this node has not joined HQ yet and has no join token');
    const identity = await this.deps.hq.join({
      joinToken: config.joinToken,
      name: config.name,
      capabilities: config.capabilities,
      slots: config.slots,
      resources: this.deps.probe.resources(),
      version: config.version,
    });
    await this.adopt(identity);
    this.deps.logger.info({ nodeId: identity.nodeId }, 'joined HQ');
  }

  private refreshing: Promise<void> | null = null;

  private async refreshIfDue(): Promise<void> {
    const id = this.requireIdentity();
    const margin = this.deps.config.refreshBeforeExpiryMs ?? Math.max(60_000, id.heartbeatIntervalMs * 3);
    if (id.accessExpiresAt - this.deps.clock.nowMs() <= margin) await this.refreshOrRejoin();
  }

  /** One refresh at a time; a refused refresh token falls back to joining again. */
  private refreshOrRejoin(_signal?: AbortSignal): Promise<void> {
    this.refreshing ??= (async () => {
      const id = this.requireIdentity();
      try {
        await this.adopt(await this.deps.hq.refresh({ nodeId: id.nodeId, refreshToken: id.refreshToken }));
        this.deps.logger.info({ nodeId: id.nodeId }, 'access credential refreshed');
      } catch (e) {
        if (isUnavailable(e) || this.deps.config.joinToken === null) throw e;
        this.deps.logger.warn({ err: (e as Error).message }, 'refresh refused; joining again');
        await this.join();
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private setLockdown(on: boolean): void {
    if (on && !this.lockdownOn) this.deps.logger.warn({ lockdown: true }, 'fleet lockdown on: T2 and T3 tool calls are refused');
    if (!on && this.lockdownOn) this.deps.logger.info({ lockdown: false }, 'fleet lockdown lifted');
    this.lockdownOn = on;
  }

  private warn(msg: string, e: unknown): void {
    this.deps.logger.warn({ err: e instanceof Error ? e.message : String(e) }, msg);
  }
}

function watched(task: Task, stop: () => Promise<void>): WatchedAttempt {
  return { taskId: task.id, fencingToken: task.fencingToken, attempt: task.attempts, tier: task.spec.tier, stop };
}

/** The agent a task's spec names now (a resleeve changes it), with its model. */
function agentOf(task: Task): AgentChoice {
  return { agent: task.spec.agent, model: task.spec.model ?? null };
}
