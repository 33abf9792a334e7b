import { isCorticalError } from '../../core/errors.js';
import { beforeIteration, budgetExceeded, iterationDeadlineMs, iterationVerdict, loopProgress } from '../../core/guardrails.js';
import type { IterationOutcome, LoopProgress, LoopVerdict } from '../../core/guardrails-types.js';
import type { AgentDriver, SleeveOptions } from '../../core/ports/agent-driver.js';
import { NO_ENDPOINTS, redactKeys } from '../../core/model-endpoints.js';
import { agentChainOf, describeChoice, sleeveOptionsFor, type AgentChain, type AgentChoice } from './agent-choice.js';
import { GuidanceCourier } from './guidance-courier.js';
import { launchIteration } from './iteration-launch.js';
import { IterationTally } from './iteration-tally.js';
import { IterationDiff } from './iteration-diff.js';
import type { PreparedWorkspace, WorkspaceRequest } from '../../core/ports/workspace.js';
import type { TaskCredential } from '../../core/ports/hq-link.js';
import type { Runnable } from '../../core/runnable.js';
import { describeSleeveRuntime } from '../../core/sandbox.js';
import { sandboxOf, type ReasonCode, type Task, type TaskUsage } from '../../core/task.js';
import type { LoopControls, LoopRunnerDeps } from './loop-runner-types.js';
import { ProgressOutbox } from './progress-outbox.js';
import { done, finishAttempt, interruptEnd, startAttemptWithRetry, verdictEnd, type AttemptEnd, type Completion, type Interrupt } from './attempt-end.js';
import { Signal } from './timers.js';
import { IterationRun } from './iteration-run.js';
import { SleeveIdentity } from './sleeve-identity.js';
import { IterationAbortGate } from './iteration-abort-gate.js';
import { publishCheckpoint } from './checkpoint-publish.js';
import { runUntilCheck } from './until-check.js';
import { RunClock } from './run-clock.js';

export type { LoopControls, LoopRunnerDeps } from './loop-runner-types.js';
export type { AttemptEnd } from './attempt-end.js';

/**
 * Runs one attempt of a leased task: a loop of agent iterations under the task's guardrails,
 * converging on the desired state HQ reports (pause between iterations, pause now, stop), with
 * guidance put into the next iteration, and the kill switch honoured. Usage, iterations and
 * running time are cumulative over attempts. Ends by completing the attempt, except when the
 * lease is lost (nothing to complete) or the node shuts down (the lease is resumed later).
 */
export class LoopRunner implements Runnable {
  private controls: LoopControls = { desired: 'run', pendingGuidance: [], killSwitch: false };
  private readonly changed = new Signal();
  private readonly outbox: ProgressOutbox;
  private readonly courier: GuidanceCourier;
  private readonly chain: AgentChain;
  private usage: TaskUsage;
  private readonly clock: RunClock;
  private current: IterationRun | null = null;
  private interrupt: Interrupt | null = null;
  private stuck: 'no' | 'waiting' | 'saw_pause' = 'no';
  private unchangedStreak = 0;
  private endState: AttemptEnd | null = null;
  private readonly identity: SleeveIdentity;
  /** Between SIGTERM and SIGKILL when an iteration or check is stopped. */
  private readonly graceMs: number;

  constructor(
    private readonly task: Task,
    private readonly deps: LoopRunnerDeps,
  ) {
    this.usage = task.usage;
    this.clock = new RunClock(task.runtimeMs, () => deps.clock.nowMs());
    this.controls = { desired: task.desired, pendingGuidance: [], killSwitch: false };
    this.chain = agentChainOf(task.spec);
    this.courier = new GuidanceCourier((all) => {
      this.outbox.update({ guidanceDeliveredSeq: all.deliveredSeq, guidanceDeliveries: all.deliveries });
      void this.outbox.flushSoon();
    });
    this.identity = new SleeveIdentity(task, deps.hq, (home, rel, content) => deps.workspaces.writeHomeFile(home, rel, content));
    this.outbox = ProgressOutbox.forAttempt(task, deps, () => this.leaseLost());
    this.graceMs = deps.stopGraceMs ?? 5000;
  }

  private workspacePath: string | null = null;
  private inIteration = false;
  private readonly abortGate = new IterationAbortGate();

  /** Whether an iteration runs now (or is about to start: its pre-iteration snapshot included). */
  get iterating(): boolean {
    return this.inIteration;
  }

  private async snapshotThenIterate(driver: AgentDriver, ws: PreparedWorkspace, choice: AgentChoice): Promise<LoopVerdict> {
    const iteration = this.usage.iterations + 1;
    await this.abortGate.prepare(async () => {
      try {
        const snap = (await this.deps.beforeIteration?.({ task: this.task, iteration, workspacePath: ws.path })) ?? null;
        if (snap !== null) this.outbox.iteration({ iteration, kind: 'snapshot', at: this.deps.clock.nowMs(), data: snap });
      } catch (e) {
        this.system(iteration, `snapshot before iteration ${iteration} failed: ${(e as Error).message}`);
      }
    });
    return this.abortGate.run(() => this.iterate(driver, ws, choice));
  }

  /**
   * Aborts the iteration in progress (the watchdog does, before it reverts the workspace): its
   * sleeve is stopped at once (no grace) and it ends like an interrupted iteration (no until check,
   * no publish, verdict continue); an until check under way is stopped too; the attempt goes on
   * with the next iteration. Nothing recorded is dropped: its logs and usage so far are reported.
   * Resolves once the aborted sleeve has exited and the iteration is wound up, before the next
   * iteration's pre-iteration step; at once when no iteration runs. During the pre-iteration step
   * (which may wait on the node's gates) it resolves at once, and that step runs again before a
   * sleeve starts.
   */
  async abortIteration(): Promise<void> {
    await this.abortGate.abort(() => {
      this.current?.stop(0);
      this.changed.notify();
    });
  }

  /** False once HQ took the lease away (LEASE_CONFLICT, or the node saw it gone). */
  get holdsLease(): boolean {
    return this.interrupt !== 'lease_lost' && this.endState?.kind !== 'lease_lost';
  }

  get taskId(): string {
    return this.task.id;
  }

  get fencingToken(): number {
    return this.task.fencingToken;
  }

  /** How the attempt ended; null while it runs. */
  get result(): AttemptEnd | null {
    return this.endState;
  }

  /** Feed HQ's view (lease renewal): desired state, new guidance, kill switch. */
  applyControls(controls: LoopControls): void {
    const prevDesired = this.controls.desired;
    this.controls = controls;
    if (this.stuck === 'waiting' && controls.desired !== 'run') this.stuck = 'saw_pause';
    if (this.stuck === 'saw_pause' && controls.desired === 'run' && prevDesired !== 'run') this.stuck = 'no';
    if (controls.agent !== undefined && this.chain.reset(controls.agent)) {
      this.system(this.usage.iterations, `resleeved: the next iteration runs on ${describeChoice(controls.agent)}`);
    }
    if (this.current !== null && !controls.killSwitch && controls.desired !== 'stop') {
      const fresh = this.courier.undelivered(controls.pendingGuidance);
      if (fresh.length > 0) void this.courier.intoRun(this.current.run, fresh);
    }
    if (controls.killSwitch) this.interruptIteration('killswitch');
    else if (controls.desired === 'stop') this.interruptIteration('stop');
    else if (this.current !== null) {
      if (controls.desired === 'pause_now' && !this.current.suspended) this.suspendIteration();
      else if (controls.desired !== 'pause_now' && this.current.suspended) this.resumeIteration();
    }
    this.changed.notify();
  }

  /** A fresh lease-scoped credential from a renewal: sleeves and pushes use it from now on. */
  applyCredential(credential: TaskCredential): void {
    this.identity.renewed(credential).catch((e: unknown) => this.deps.logger.warn({ err: (e as Error).message }, 'could not store the task credential'));
  }

  /** The lease is gone (LEASE_CONFLICT): stop at once, complete nothing. */
  leaseLost(): void {
    this.interruptIteration('lease_lost');
    this.changed.notify();
  }

  async start(signal: AbortSignal): Promise<void> {
    const onAbort = (): void => {
      this.interruptIteration('shutdown');
      this.changed.notify();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const flusher = setInterval(() => void this.outbox.flushSoon(), this.deps.flushIntervalMs ?? 500);
    // the drivers' policy decisions for this task go into this attempt's reports
    this.deps.policyLog?.attach(this.task.id, this.outbox);
    try {
      const end = await this.runAttempt(signal).finally(() => this.deps.policyLog?.detach(this.task.id));
      this.endState = end;
      this.clock.pause();
      this.outbox.update(this.progressState());
      if (end.kind === 'completed') await this.complete(end, signal);
      else if (end.kind === 'shutdown') await this.outbox.flush();
    } finally {
      clearInterval(flusher);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async runAttempt(signal: AbortSignal): Promise<AttemptEnd> {
    let ws: PreparedWorkspace;
    try {
      await this.identity.init();
    } catch (e) {
      if (isCorticalError(e) && e.code === 'LEASE_CONFLICT') return { kind: 'lease_lost' };
      return done('requeue', 'spawn_failed', `cannot get the task credential: ${(e as Error).message}`);
    }
    try {
      ws = await this.deps.workspaces.prepare(this.workspaceRequest());
      this.workspacePath = ws.path;
      await this.identity.anchor(ws.homePath);
    } catch (e) {
      return done('failed', 'workspace_failed', (e as Error).message);
    }
    const started = await startAttemptWithRetry(this.deps.hq, this.task, ws.path, signal, () => this.interrupt === 'lease_lost');
    if (started !== null) return started;
    this.clock.resume();
    this.outbox.update({ observed: 'running', ...this.progressState() });
    this.system(0, `attempt ${this.task.attempts} on ${ws.path}${ws.resumed ? ' (workspace resumed)' : ''}`);
    this.system(0, describeSleeveRuntime(this.deps.runtime));

    for (;;) {
      const halted = await this.waitUntilRunnable();
      if (halted !== null) return halted;
      const before = beforeIteration(this.task.spec.guardrails, this.progress(), this.task.spec.mode);
      if (before.action !== 'continue') return verdictEnd(before);
      const choice = this.chain.current;
      const driver = this.deps.drivers.get(choice.agent);
      if (driver === undefined) return done('requeue', 'spawn_failed', `this node has no '${choice.agent}' agent`);
      this.inIteration = true;
      const verdict = await this.snapshotThenIterate(driver, ws, choice).finally(() => (this.inIteration = false));
      if (verdict.action === 'continue') continue;
      if (verdict.action === 'pause') {
        this.stuck = 'waiting';
        this.clock.pause();
        this.outbox.update({ observed: 'paused', pauseReason: verdict.reason, pauseMessage: verdict.message });
        void this.outbox.flushSoon();
        continue;
      }
      return verdictEnd(verdict);
    }
  }

  /** Between iterations: honour stop, kill switch, pause and stuck; null = go on. */
  private async waitUntilRunnable(): Promise<AttemptEnd | null> {
    for (;;) {
      if (this.controls.killSwitch) this.interrupt ??= 'killswitch';
      if (this.controls.desired === 'stop') this.interrupt ??= 'stop';
      const end = interruptEnd(this.interrupt);
      if (end !== null) return end;
      const pauseWanted = this.controls.desired === 'pause' || this.controls.desired === 'pause_now';
      if (!pauseWanted && this.stuck === 'no') {
        if (!this.clock.running) {
          this.unchangedStreak = 0;
          this.clock.resume();
          this.observed('running');
        }
        return null;
      }
      if (this.clock.running) {
        this.clock.pause();
        this.observed('paused', { pauseReason: 'paused', pauseMessage: 'paused on request' });
      }
      await this.changed.wait(undefined, 1000);
    }
  }

  private async iterate(driver: AgentDriver, ws: PreparedWorkspace, choice: AgentChoice): Promise<LoopVerdict> {
    const limits = this.task.spec.guardrails;
    const iteration = this.usage.iterations + 1;
    const guidance = this.courier.undelivered(this.controls.pendingGuidance);
    if (guidance.length > 0) await this.deps.workspaces.recordGuidance(ws.path, guidance);
    const fingerprintBefore = await this.deps.workspaces.fingerprint(ws.path);
    const diffs = await IterationDiff.before(this.deps.workspaces, ws.path, (text) => this.system(iteration, text));
    const deadlineMs = iterationDeadlineMs(limits, this.progress());
    const totalBinds = limits.timeoutMs !== null && (limits.iterationTimeoutMs === null || deadlineMs !== limits.iterationTimeoutMs);
    const base = this.usage;
    const endpoints = this.deps.endpoints ?? NO_ENDPOINTS;
    const sleeve = this.sleeveOptions(ws, choice.agent);
    if (this.abortGate.requested) {
      this.system(iteration, `iteration ${iteration} aborted before its sleeve started`);
      return { action: 'continue' };
    }

    const launched = await launchIteration({
      driver,
      outbox: this.outbox,
      atMs: this.deps.clock.nowMs(),
      agent: choice.agent,
      guidance,
      taskPrompt: this.task.spec.prompt,
      run: { taskId: this.task.id, iteration, workspacePath: ws.path, homePath: ws.homePath, env: { ...this.deps.baseEnv, ...this.identity.env(), HOME: ws.homePath }, runtime: this.deps.runtime, sleeve, model: choice.model, endpoints },
    });
    if ('verdict' in launched) return launched.verdict;
    const { run } = launched;
    this.courier.withPrompt(guidance);
    const current = new IterationRun(run, { deadlineMs, graceMs: this.graceMs, nowMs: () => this.deps.clock.nowMs() });
    this.current = current;
    // controls that arrived while the iteration was being set up
    if (this.abortGate.requested) current.stop(0);
    else if (this.interrupt !== null) current.stop();
    else if (this.controls.desired === 'pause_now') this.suspendIteration();

    // guidance that arrived while the iteration was being set up
    const early = this.courier.undelivered(this.controls.pendingGuidance);
    if (early.length > 0 && this.interrupt === null) void this.courier.intoRun(run, early);

    const tally = new IterationTally({
      outbox: this.outbox,
      clock: this.deps.clock,
      iteration,
      redact: (text) => redactKeys(text, endpoints),
      onUsage: (u) => {
        this.usage = { ...base, tokensIn: base.tokensIn + u.tokensIn, tokensOut: base.tokensOut + u.tokensOut, usd: base.usd + u.usd };
        const over = budgetExceeded(limits, this.progress());
        if (over !== null && current.stopForBudget(over)) this.system(iteration, `stopping the iteration: ${over.action === 'fail' ? over.message : ''}`);
      },
    });
    const exit = await current.consume(tally);
    this.deps.policyLog?.endIteration(this.task.id, iteration);
    const { agentDone, agentFailed } = tally;
    const { timedOut, budgetStop } = current;
    if (exit.reason !== undefined && exit.reason !== 'stopped') {
      this.system(iteration, `sleeve ended: ${exit.reason}${exit.detail !== undefined ? ` (${exit.detail})` : ''}`);
    }
    this.current = null;
    if (current.suspended) this.clock.resume();
    this.usage = { ...this.usage, iterations: iteration };

    const interrupted = this.interrupt !== null;
    const untilPassed =
      this.task.spec.until !== null && !interrupted && !this.abortGate.requested && !timedOut && budgetStop === null
        ? await runUntilCheck({ ...this.deps, sleeve: this.sleeveOptions(ws, null), command: this.task.spec.until, ws, iteration, outbox: this.outbox, signal: this.abortGate.signal, timeoutMs: this.deps.untilTimeoutMs ?? 300_000, graceMs: this.graceMs })
        : null;
    const changed = (await this.deps.workspaces.fingerprint(ws.path)) !== fingerprintBefore;
    const diff = await diffs.after();
    // an aborted iteration (even one aborted after its sleeve exited) is not trusted: the watchdog
    // reverts its work; it is neither progress nor published, and the loop goes on
    const aborted = this.abortGate.requested;
    if (aborted) this.system(iteration, `iteration ${iteration} aborted: its sleeve was stopped at once; the attempt goes on with the next iteration`);
    if (!aborted) this.unchangedStreak = changed ? 0 : this.unchangedStreak + 1;
    if (ws.branch !== null && !aborted) await publishCheckpoint(this.deps.workspaces, ws, this.workspaceRequest(), iteration, (text) => this.system(iteration, text));
    const outcome: IterationOutcome = { exitCode: exit.exitCode, timedOut, agentDone, agentFailed, untilPassed, workspaceChanged: changed };
    const stops = { timedOut, totalBinds, budgetStop, interrupted: interrupted || aborted, authFailed: tally.authFailed, rateLimited: tally.rateLimited !== null, agent: choice.agent };
    const composed = iterationVerdict(limits, this.task.spec.mode, this.progress(), outcome, stops);
    const verdict: LoopVerdict = aborted ? { action: 'continue' } : composed === 'rate_limited' ? await this.afterRateLimit(iteration, choice, tally.rateLimited!) : composed;
    tally.finish({ agent: choice.agent, model: choice.model, exit, timedOut, untilPassed, workspaceChanged: changed, verdict, diff });
    this.outbox.update(this.progressState());
    void this.outbox.flushSoon();
    return interrupted ? { action: 'continue' } : verdict;
  }

  /** Reports the attempt running or paused (with why), with its usage and running time. */
  private observed(observed: 'running' | 'paused', why?: { pauseReason: ReasonCode; pauseMessage: string }): void {
    this.outbox.update({ observed, ...why, ...this.progressState() });
    void this.outbox.flushSoon();
  }

  private interruptIteration(why: Interrupt): void {
    if (this.interrupt === null || why === 'lease_lost' || why === 'shutdown') this.interrupt = why;
    this.current?.stop(why === 'lease_lost' ? 0 : this.graceMs);
  }

  private suspendIteration(): void {
    this.current?.suspend();
    this.clock.pause();
    this.observed('paused', { pauseReason: 'paused', pauseMessage: 'iteration suspended on request' });
  }

  private resumeIteration(): void {
    this.current?.resume();
    this.clock.resume();
    this.observed('running');
  }

  private async complete(end: Completion, signal: AbortSignal): Promise<void> {
    this.system(this.usage.iterations, `attempt ends: ${end.outcome} (${end.reason})${end.message ? `: ${end.message}` : ''}`);
    const input = { deps: this.deps, task: this.task, outbox: this.outbox, workspacePath: this.workspacePath, signal };
    const finished = await finishAttempt({ ...input, end: { ...end, usage: this.usage, runtimeMs: this.clock.elapsedMs() } });
    if (finished === 'lease_lost') this.endState = { kind: 'lease_lost' };
  }

  private workspaceRequest(): WorkspaceRequest {
    return { taskId: this.task.id, prompt: this.task.spec.prompt, repo: this.task.spec.repo, remote: this.identity.remote() };
  }

  private sleeveOptions(ws: PreparedWorkspace, agent: string | null): SleeveOptions {
    return sleeveOptionsFor(sandboxOf(this.task.spec), ws, agent, this.deps.endpoints ?? NO_ENDPOINTS);
  }

  /**
   * A rate-limited iteration: the next fallback (agent or model) takes the next iteration after a
   * back-off (the endpoint's Retry-After when longer); with none left the task fails `rate_limited`.
   */
  private async afterRateLimit(iteration: number, from: AgentChoice, hit: { retryAfterMs: number | null; message: string }): Promise<LoopVerdict> {
    const next = this.chain.fallBack(hit.retryAfterMs, this.deps.fallbackBackoffMs ?? 2000);
    if (next === null) return { action: 'fail', reason: 'rate_limited', message: `${from.agent} was rate-limited and no fallback is left: ${hit.message}` };
    this.system(iteration, `rate-limited on ${describeChoice(from)}; retrying on ${describeChoice(next.to)} in ${next.backoffMs} ms`);
    const until = this.deps.clock.nowMs() + Math.min(next.backoffMs, 300_000);
    while (this.interrupt === null && !this.abortGate.requested && this.deps.clock.nowMs() < until) await this.changed.wait(undefined, until - this.deps.clock.nowMs());
    return { action: 'continue' };
  }

  private system(iteration: number, text: string): void {
    this.outbox.log(iteration, 'system', text);
  }

  private progress(): LoopProgress {
    return loopProgress(this.usage, this.clock.elapsedMs(), this.unchangedStreak);
  }

  private progressState(): { usage: TaskUsage; runtimeMs: number } {
    return { usage: this.usage, runtimeMs: this.clock.elapsedMs() };
  }
}
