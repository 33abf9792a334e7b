/**
 * The script agent's format (see also docs/agents/script.md). The task's prompt is the script:
 * one step per line; blank lines and lines starting with `#` are ignored.
 *
 *   write PATH TEXT          write TEXT and a newline to PATH (relative to the workspace)
 *   append PATH TEXT         append TEXT and a newline to PATH
 *   print TEXT               print TEXT as a log line (`\n`, `\t`, `\\` are unescaped)
 *   usage IN OUT [USD]       report token (and dollar) usage; adds up within the iteration
 *   sleep MS                 wait MS milliseconds
 *   echo-guidance            print each line of the guidance received as `guidance: LINE`
 *   done [SUMMARY]           signal the task is complete and end the iteration (exit 0)
 *   fail MESSAGE             report an unrecoverable failure and end the iteration (exit 1)
 *   exit CODE                end the iteration with exit code CODE
 *   hang                     never end (until stopped)
 *
 * A step applies to every iteration unless it is limited:
 *   @N STEP                  only in iteration N (1-based)
 *   @N+ STEP                 in iteration N and later
 *   iter N:                  the steps after this header apply only to iteration N …
 *   all:                     … until this header (or the next `iter N:`)
 *
 * Reaching the end of the script ends the iteration with exit code 0.
 */
export const SCRIPT_VERBS = [
  'write',
  'append',
  'print',
  'usage',
  'sleep',
  'echo-guidance',
  'done',
  'fail',
  'exit',
  'hang',
] as const;

/** Problems that stop a script from running, one message per bad line; empty when it is fine. */
export function validateScript(script: string): string[] {
  const problems: string[] = [];
  script.split('\n').forEach((raw, index) => {
    let line = raw.trim();
    if (line === '' || line.startsWith('#') || /^iter\s+\d+\s*:$/.test(line) || /^(all|every)\s*:$/.test(line)) return;
    const at = /^@(\d+)\+?\s+(.*)$/.exec(line);
    if (at) line = at[2] ?? '';
    const [verb = '', ...args] = line.split(/\s+/);
    const where = `line ${index + 1}`;
    if (!(SCRIPT_VERBS as readonly string[]).includes(verb)) {
      problems.push(`${where}: unknown step '${verb}'`);
      return;
    }
    const numeric = (v: string | undefined): boolean => v !== undefined && v !== '' && Number.isFinite(Number(v));
    if ((verb === 'write' || verb === 'append') && args.length < 1) problems.push(`${where}: ${verb} needs a PATH`);
    if (verb === 'usage' && !(numeric(args[0]) && numeric(args[1]) && (args[2] === undefined || numeric(args[2])))) {
      problems.push(`${where}: usage needs TOKENS_IN TOKENS_OUT [USD]`);
    }
    if ((verb === 'sleep' || verb === 'exit') && !numeric(args[0])) problems.push(`${where}: ${verb} needs a number`);
  });
  return problems;
}
