/**
 * The state of an abort of the iteration in progress (the watchdog's, before it reverts the
 * workspace) for one attempt's loop runner. An iteration has a pre-iteration step (snapshot, and
 * the node's gates), then its body (sleeve, until check, publish). An abort during the step lets
 * it finish and runs it again; an abort during the body stops what runs now (the sleeve through
 * the runner's callback, the until check through `signal`) and waits for the body to wind up.
 */
export class IterationAbortGate {
  private preparing = false;
  private redoPrepare = false;
  /** Settles when the body under way has wound up; null between iterations. */
  private settled: Promise<void> | null = null;
  private controller: AbortController | null = null;

  /** Whether the body under way was asked to abort. */
  get requested(): boolean {
    return this.controller?.signal.aborted ?? false;
  }

  /** Aborted when the body under way is (an until check stops on it); never aborted otherwise. */
  get signal(): AbortSignal {
    return this.controller?.signal ?? NEVER;
  }

  /** Runs the pre-iteration step, again for as long as an abort came while it ran. */
  async prepare(step: () => Promise<void>): Promise<void> {
    do {
      this.redoPrepare = false;
      this.preparing = true;
      try {
        await step();
      } finally {
        this.preparing = false;
      }
      // aborted during the step: it may have got past the node's gates before the abort; again
    } while (this.redoPrepare);
  }

  /** Runs an iteration's body; `abort` waits for it. */
  async run<T>(body: () => Promise<T>): Promise<T> {
    let settle!: () => void;
    this.settled = new Promise<void>((resolve) => (settle = resolve));
    this.controller = new AbortController();
    try {
      return await body();
    } finally {
      this.settled = null;
      this.controller = null;
      settle();
    }
  }

  /**
   * During the pre-iteration step: marks it to run again and resolves at once. During a body:
   * calls `stopNow` (stop the sleeve, wake waits), aborts `signal` and resolves once the body has
   * wound up. Between iterations: resolves at once.
   */
  async abort(stopNow: () => void): Promise<void> {
    if (this.preparing) {
      this.redoPrepare = true;
      return;
    }
    const settled = this.settled;
    if (settled === null) return;
    this.controller?.abort();
    stopNow();
    await settled;
  }
}

const NEVER = new AbortController().signal;
