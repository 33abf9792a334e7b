/**
 * The script a claimed warm sleeve runs: its waiting shell (`sh -s`) reads it from its stdin. It
 * enters the working directory, sets exactly the spec's environment (the
 * waiting shell started with none; `cd` exports PWD and OLDPWD, so they are dropped again unless
 * the spec sets them) and execs the command. Every value is single-quoted, so quotes, newlines,
 * `$` and backticks reach the program unchanged.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `value` as one single-quoted shell word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Whether every variable name can be exported by the start shell. */
export function exportableNames(env: Readonly<Record<string, string>>): boolean {
  return Object.keys(env).every((k) => NAME.test(k));
}

export interface ClaimScript {
  /** The fd that carries the sleeve's stdin; it becomes fd 0 of the command. */
  readonly stdinFd: number;
  /** Whether the spec gave stdin; else the command's stdin is /dev/null (as in a cold sleeve). */
  readonly hasStdin: boolean;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Absolute path of the program. */
  readonly command: string;
  readonly args: readonly string[];
}

/** The script text (names must pass `exportableNames`; values must not contain NUL). */
export function claimScript(s: ClaimScript): string {
  const stdin = s.hasStdin ? `0<&${s.stdinFd}` : '</dev/null';
  const lines = [
    `cd -- ${shellQuote(s.cwd)} || exit 126`,
    'unset PWD OLDPWD',
    ...Object.entries(s.env).map(([k, v]) => {
      if (!NAME.test(k)) throw new Error(`environment variable name ${JSON.stringify(k)} cannot be exported`);
      if (v.includes('\0')) throw new Error(`environment variable ${k} contains a NUL byte`);
      return `export ${k}=${shellQuote(v)}`;
    }),
    `exec ${[s.command, ...s.args].map(shellQuote).join(' ')} ${stdin} ${s.stdinFd}<&-`,
  ];
  return `${lines.join('\n')}\n`;
}
