/** Helpers shared by the bubblewrap tests (not used by the runtime itself). */
import { join } from 'node:path';
import type { Runtime, SleeveExit, SpawnSpec } from '../../../core/ports/runtime.js';
import { DEFAULT_SANDBOX, DEFAULT_SLEEVE_LIMITS, type NetworkMode, type SleeveLimits } from '../../../core/sandbox.js';
import { FIXTURES_DIR } from '../runtime.contract.js';

export interface RunResult {
  readonly exit: SleeveExit;
  readonly stdout: string[];
  readonly stderr: string[];
}

/** Runs a sleeve to its end and collects its output. */
export async function runToEnd(runtime: Runtime, spec: SpawnSpec): Promise<RunResult> {
  const sleeve = await runtime.spawn(spec);
  const stdout: string[] = [];
  const stderr: string[] = [];
  for await (const l of sleeve.lines) (l.stream === 'stdout' ? stdout : stderr).push(l.text);
  return { exit: await sleeve.exited, stdout, stderr };
}

/** A spec running `node -e script` (or a fixture when `script` ends in .mjs). */
export function nodeSpec(
  cwd: string,
  script: string,
  args: string[] = [],
  extra: { limits?: Partial<SleeveLimits>; network?: NetworkMode } & Partial<SpawnSpec> = {},
): SpawnSpec {
  const { limits, network, ...rest } = extra;
  const program = script.endsWith('.mjs') ? [join(FIXTURES_DIR, script)] : ['-e', script];
  return {
    command: process.execPath,
    args: [...program, ...args],
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd },
    sandbox: {
      network: { mode: network ?? 'none', allow: [] },
      limits: { ...DEFAULT_SLEEVE_LIMITS, ...DEFAULT_SANDBOX.limits, ...limits },
    },
    ...rest,
  };
}

/** Parses the last stdout line as JSON. */
export function lastJson<T>(r: RunResult): T {
  const line = r.stdout.at(-1);
  if (line === undefined) throw new Error(`no output; stderr: ${r.stderr.join('\n')}`);
  return JSON.parse(line) as T;
}
