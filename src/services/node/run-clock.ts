/**
 * A task's running time across attempts: paused time does not count (for the total timeout and
 * the runtime HQ shows).
 */
export class RunClock {
  private activeMs = 0;
  private runningSince: number | null = null;

  constructor(
    private readonly baseMs: number,
    private readonly nowMs: () => number,
  ) {}

  get running(): boolean {
    return this.runningSince !== null;
  }

  pause(): void {
    if (this.runningSince === null) return;
    this.activeMs += this.nowMs() - this.runningSince;
    this.runningSince = null;
  }

  resume(): void {
    this.runningSince ??= this.nowMs();
  }

  /** Running time so far: earlier attempts plus this one's unpaused time. */
  elapsedMs(): number {
    const running = this.runningSince === null ? 0 : this.nowMs() - this.runningSince;
    return Math.max(0, Math.round(this.baseMs + this.activeMs + running));
  }
}
