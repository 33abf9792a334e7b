/** Every long-running part (loops, servers, daemons) shares one lifecycle. */
export interface Runnable {
  /** Runs until `signal` aborts, then cleans up and resolves. Rejects only on fatal errors. */
  start(signal: AbortSignal): Promise<void>;
}
