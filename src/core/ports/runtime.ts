import type { Enforcement, SandboxSpec, SleeveEndReason } from '../sandbox.js';

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
  /** Written to stdin, which is then closed (unless `keepStdinOpen`). */
  readonly stdin?: string | undefined;
  /**
   * Keep stdin open after `stdin` is written: the sleeve's `input` then takes more (a CLI's live
   * input stream). Runtimes that cannot leave `input` undefined.
   */
  readonly keepStdinOpen?: boolean | undefined;
  /** Network policy and limits; runtimes that cannot enforce a part say so in `enforcement`. */
  readonly sandbox?: SandboxSpec | undefined;
  /**
   * Absolute paths inside the sleeve's view that must stay read-only even where their parent is
   * writable (a repository's `.git/hooks`, an agent CLI's settings written by the driver).
   */
  readonly readOnlyPaths?: readonly string[] | undefined;
  /**
   * Absolute paths outside `cwd` the sleeve must be able to write (a git worktree's shared
   * `.git` directory). Everything else outside `cwd` is read-only or hidden.
   */
  readonly writablePaths?: readonly string[] | undefined;
}

export interface SleeveExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Why the runtime ended it, when it did (`stopped`, `killed_after_grace`). */
  readonly endedBy: 'exit' | 'stopped' | 'killed_after_grace';
  /** Why it ended, including limits (`oom`, `pids_limit`, …); absent = same as endedBy. */
  readonly reason?: SleeveEndReason | undefined;
  /** A human-readable detail for `reason` (e.g. "memory limit 256 MB reached"). */
  readonly detail?: string | undefined;
}

/** A sleeve's open stdin (SpawnSpec.keepStdinOpen). */
export interface SleeveInput {
  /** false when stdin is closed (the process ended or `end` was called). */
  write(text: string): boolean;
  end(): void;
}

export interface Sleeve {
  readonly pid: number;
  /** Open stdin, when the spawn asked to keep it open and the runtime can. */
  readonly input?: SleeveInput | undefined;
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
  /** How this runtime enforces each part of a SandboxSpec on this host. */
  readonly enforcement?: Enforcement | undefined;
  /** Throws CorticalError('UNAVAILABLE') when the command cannot be started. */
  spawn(spec: SpawnSpec): Promise<Sleeve>;
}
