/** Time is a port: core code never reads the wall clock itself. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

/** A clock for tests: starts at `startMs` and only moves when told. */
export class FakeClock implements Clock {
  private currentMs: number;
  constructor(startMs = 1_700_000_000_000) {
    this.currentMs = startMs;
  }
  nowMs(): number {
    return this.currentMs;
  }
  advance(ms: number): void {
    this.currentMs += ms;
  }
  set(ms: number): void {
    this.currentMs = ms;
  }
}
