/**
 * Runs an attempt as the agent: a shell script or a small node program inside a sleeve made by
 * the bubblewrap runtime, with the fixture's hidden, read-only and writable paths. Collects both
 * streams and the exit; a sleeve still running after its time limit is stopped (and says so).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import type { EgressDecision, EgressGateway, EgressGrant } from '../../src/core/ports/egress.js';
import type { Runtime, Sleeve, SleeveExit, SpawnSpec } from '../../src/core/ports/runtime.js';
import { DEFAULT_SANDBOX, type NetworkPolicy, type SandboxSpec, type SleeveLimits } from '../../src/core/sandbox.js';
import type { ContainmentFixture } from './containment-fixture.js';

export const SKIP_REASON = 'bubblewrap not available';

/** The title a containment suite gets: says why when it is skipped. */
export function suiteTitle(title: string, available: boolean): string {
  return available ? title : `${title} [skipped: ${SKIP_REASON}]`;
}

export interface SleeveRun {
  readonly exit: SleeveExit;
  readonly stdout: string;
  readonly stderr: string;
  /** Both streams, in arrival order per stream. */
  readonly output: string;
  /** The sleeve outlived `timeoutMs` and was stopped by the harness. */
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly network?: NetworkPolicy;
  readonly limits?: Partial<SleeveLimits>;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly stdin?: string;
  /** Called once the sleeve is started (for attempts the test interacts with). */
  readonly onStarted?: (sleeve: Sleeve) => void | Promise<void>;
}

/** The environment a node gives its agent (see sleeve-env.ts): no host secrets in it. */
export function agentEnv(fixture: ContainmentFixture, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    HOME: fixture.workspace,
    GIT_AUTHOR_NAME: 'Agent',
    GIT_AUTHOR_EMAIL: 'agent@example.invalid',
    GIT_COMMITTER_NAME: 'Agent',
    GIT_COMMITTER_EMAIL: 'agent@example.invalid',
    // The workspace's owner as seen inside a user namespace may differ from the sleeve's uid.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'safe.directory',
    GIT_CONFIG_VALUE_0: '*',
    ...extra,
  };
}

export function sandboxSpec(options: Pick<RunOptions, 'network' | 'limits'> = {}): SandboxSpec {
  return {
    network: options.network ?? DEFAULT_SANDBOX.network,
    limits: { ...DEFAULT_SANDBOX.limits, ...(options.limits ?? {}) },
  };
}

export function sleeveSpec(
  fixture: ContainmentFixture,
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): SpawnSpec {
  return {
    command,
    args,
    cwd: fixture.workspace,
    env: agentEnv(fixture, options.env),
    stdin: options.stdin,
    sandbox: sandboxSpec(options),
    readOnlyPaths: fixture.readOnlyPaths,
    writablePaths: fixture.writablePaths,
  };
}

export async function runSpec(runtime: Runtime, spec: SpawnSpec, options: RunOptions = {}): Promise<SleeveRun> {
  const sleeve = await runtime.spawn(spec);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const output: string[] = [];
  const reading = (async () => {
    for await (const l of sleeve.lines) {
      (l.stream === 'stdout' ? stdout : stderr).push(l.text);
      output.push(l.text);
    }
  })();
  if (options.onStarted) await options.onStarted(sleeve);
  let timedOut = false;
  const limit = options.timeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), limit);
  });
  const first = await Promise.race([sleeve.exited, late]);
  clearTimeout(timer);
  let exit: SleeveExit;
  if (first === 'late') {
    timedOut = true;
    exit = await sleeve.stop(500);
  } else {
    exit = first;
  }
  await reading;
  return { exit, stdout: stdout.join('\n'), stderr: stderr.join('\n'), output: output.join('\n'), timedOut };
}

/** Runs `script` with /bin/sh -c in the fixture's workspace. */
export function sh(runtime: Runtime, fixture: ContainmentFixture, script: string, options: RunOptions = {}): Promise<SleeveRun> {
  return runSpec(runtime, sleeveSpec(fixture, '/bin/sh', ['-c', script], options), options);
}

/** Writes `source` as an ES module into the workspace and runs it with node inside the sleeve. */
export function nodeScript(
  runtime: Runtime,
  fixture: ContainmentFixture,
  name: string,
  source: string,
  args: readonly string[] = [],
  options: RunOptions = {},
): Promise<SleeveRun> {
  const file = join(fixture.workspace, `${name}.mjs`);
  writeFileSync(file, source);
  return runSpec(runtime, sleeveSpec(fixture, process.execPath, [file, ...args], options), options);
}

/**
 * The verdict line an attempt script ends with: `cmd && echo ESCAPED || echo BLOCKED`. A run
 * counts as blocked only when the sleeve really ran (printed BLOCKED) and nothing escaped.
 */
export const attempt = (cmd: string): string => `( ${cmd} ) && echo ESCAPED || echo BLOCKED`;

export function verdicts(run: SleeveRun): string[] {
  return run.stdout.split('\n').filter((l) => l === 'ESCAPED' || l === 'BLOCKED');
}

/** Wraps a gateway so a test sees every decision of every sleeve. */
export class RecordingGateway implements EgressGateway {
  readonly decisions: EgressDecision[] = [];

  constructor(private readonly inner: EgressGateway) {}

  open(input: Parameters<EgressGateway['open']>[0]): Promise<EgressGrant> {
    return this.inner.open({
      ...input,
      onDecision: (d) => {
        this.decisions.push(d);
        input.onDecision?.(d);
      },
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Decisions recorded since `mark` (the length of `decisions` taken before an attempt). */
  since(mark: number): EgressDecision[] {
    return this.decisions.slice(mark);
  }
}

/** Host pids whose command line contains `token` (any process on this host, sleeves included). */
export function pidsWithCmdline(token: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (!cmdline.includes(token)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state !== 'Z' && state !== 'X') found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(25);
  }
  return check();
}

/** A long-lived host process (not in any sleeve) with `env`, for attempts that target host pids. */
export function spawnHostProcess(token: string, env: Readonly<Record<string, string>> = {}): ChildProcess {
  // The token in argv lets /proc scans find it.
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)', token], {
    env: { PATH: '/usr/bin:/bin', ...env },
    stdio: 'ignore',
    detached: true,
  });
  child.unref();
  return child;
}

/** The host's own address on its first non-internal IPv4 interface, if it has one. */
export function externalIpv4(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

/** The runtime under attack, configured as a node would: its own dirs and the home hidden. */
export function containmentRuntime(fixture: ContainmentFixture, egress?: EgressGateway): BubblewrapRuntime {
  return new BubblewrapRuntime({ hiddenPaths: [...fixture.hiddenPaths], ...(egress ? { egress } : {}) });
}
