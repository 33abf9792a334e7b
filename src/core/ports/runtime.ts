/**
 * The runtime port makes sleeves: the place an iteration's process tree runs. `process` (a plain
 * child process group, unsandboxed) comes first; `bubblewrap`, `docker`, `kubernetes` implement
 * the same port later.
 */
export interface SpawnSpec {
  /** Executable; resolved through PATH of `env`. */
  readonly command: string;
  readonly args: readonly string[];
  /** Working directory (the task's workspace). */
  readonly cwd: string;
  /** The complete environment (already scrubbed by the caller); nothing is inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** Written to stdin, which is then closed. */
  readonly stdin?: string | undefined;
}

export interface SleeveExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Why the runtime ended it, when it did (`stopped`, `killed_after_grace`). */
  readonly endedBy: 'exit' | 'stopped' | 'killed_after_grace';
}

export interface Sleeve {
  readonly pid: number;
  /** stdout and stderr as lines (without the newline), in arrival order per stream. */
  readonly lines: AsyncIterable<{ stream: 'stdout' | 'stderr'; text: string }>;
  /** Resolves when the whole process group is gone. Never rejects. */
  readonly exited: Promise<SleeveExit>;
  /** SIGSTOP the group (pause --now). */
  suspend(): void;
  /** SIGCONT the group. */
  resume(): void;
  /** SIGTERM the group, SIGKILL after `graceMs`; resolves when it is gone. Idempotent. */
  stop(graceMs: number): Promise<SleeveExit>;
}

export interface Runtime {
  readonly name: string;
  /** false for `process`: shown as "unsandboxed" in the API and UI. */
  readonly sandboxed: boolean;
  /** Throws CorticalError('UNAVAILABLE') when the command cannot be started. */
  spawn(spec: SpawnSpec): Promise<Sleeve>;
}
