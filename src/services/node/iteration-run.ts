/**
 * One running iteration as the loop runner controls it: the agent's run, its deadline (paused
 * with the iteration), suspension, and why it was stopped early (time, budget).
 */
import type { LoopVerdict } from '../../core/guardrails-types.js';
import type { AgentExit, AgentRun } from '../../core/ports/agent-driver.js';
import type { IterationTally } from './iteration-tally.js';
import { PausableTimer } from './timers.js';

export class IterationRun {
  timedOut = false;
  budgetStop: LoopVerdict | null = null;
  suspended = false;
  private readonly timer: PausableTimer | null;

  constructor(
    readonly run: AgentRun,
    private readonly opts: { readonly deadlineMs: number | null; readonly graceMs: number; readonly nowMs: () => number },
  ) {
    this.timer =
      opts.deadlineMs === null
        ? null
        : new PausableTimer(opts.deadlineMs, () => {
            this.timedOut = true;
            void run.stop(opts.graceMs);
          }, opts.nowMs);
  }

  suspend(): void {
    this.run.suspend();
    this.suspended = true;
    this.timer?.pause();
  }

  resume(): void {
    this.run.resume();
    this.suspended = false;
    this.timer?.resume();
  }

  stop(graceMs = this.opts.graceMs): void {
    void this.run.stop(graceMs);
  }

  /** Stops the iteration because a budget is used up (once; later calls are ignored). */
  stopForBudget(verdict: LoopVerdict): boolean {
    if (this.budgetStop !== null) return false;
    this.budgetStop = verdict;
    this.stop();
    return true;
  }

  /** Feeds every event to `tally` until the output ends; resolves with the exit. */
  async consume(tally: IterationTally): Promise<AgentExit> {
    for await (const event of this.run.events) tally.handle(event);
    const exit = await this.run.exited;
    this.timer?.cancel();
    return exit;
  }
}
