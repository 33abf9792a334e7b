/**
 * Everything the CLI needs from the outside world, injected by the composition root. The CLI
 * never reads the process itself: tests pass a fake `CliIo`, `src/main` passes the real one.
 */
export interface CliWriter {
  write(text: string): unknown;
}

export interface CliIo {
  /** User arguments, without the Node.js binary and script path (`process.argv.slice(2)`). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: CliWriter;
  readonly stderr: CliWriter;
  /** Working directory: relative paths (`--repo`, `--data-dir`, `--prompt-file`) resolve against it. */
  readonly cwd: string;
  readonly homedir: string;
  readonly fetch: typeof fetch;
  /** Reads all of standard input (for `--prompt-file -`). */
  readonly readStdin?: () => Promise<string>;
  /** Aborts long-running client commands (`--wait`, `--follow`, `logs -f`), e.g. on Ctrl-C. */
  readonly signal?: AbortSignal;
  /** Wall clock for relative times; defaults to `Date.now`. */
  readonly now?: () => number;
  /** How often `--wait` and log following poll HQ; defaults to 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Shown by `cortical --version`. */
  readonly version?: string;
}

/** Exit codes of the CLI. */
export const EXIT_OK = 0;
/** A request failed, or a waited-for task did not succeed. */
export const EXIT_FAILURE = 1;
/** Bad command line: unknown command or option, invalid value. */
export const EXIT_USAGE = 2;
/** Interrupted (the injected signal aborted). */
export const EXIT_INTERRUPTED = 130;

export function nowMs(io: CliIo): number {
  return io.now ? io.now() : Date.now();
}

export function pollIntervalMs(io: CliIo): number {
  return io.pollIntervalMs ?? 1000;
}

/** Resolves after `ms`, or early (without error) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
