/**
 * The part of `AbortSignal` the core relies on (core compiles without DOM or Node.js types; the
 * platform's AbortSignal satisfies this structurally).
 */
export interface StopSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Every long-running part (loops, servers, daemons) shares one lifecycle. */
export interface Runnable {
  /** Runs until `signal` aborts, then cleans up and resolves. Rejects only on fatal errors. */
  start(signal: StopSignal): Promise<void>;
}
