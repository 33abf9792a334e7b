/**
 * Sleeve start bench: how long a trivial command (`/bin/true`) takes from spawn to exit.
 *
 * Four cases in the same run, interleaved round by round so that drift on a noisy machine
 * hits them alike: a plain process (`ProcessRuntime`, unsandboxed), a cold bubblewrap sleeve
 * (`BubblewrapRuntime`, network `none`, default limits: its cgroup, rlimits and namespaces are
 * made per run), a sleeve claimed from a warm pool (`WarmPoolRuntime`: the time until `spawn`
 * returns, i.e. the command handed over, and the time to exit), and the peer, the same command
 * wrapped by @anthropic-ai/sandbox-runtime (its library API builds the wrapped argv once; each
 * run spawns it).
 *
 *   npx tsx bench/sleeve-start-bench.ts [--runs 200] [--max-seconds 50]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { BubblewrapRuntime } from '../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { ProcessRuntime } from '../src/adapters/runtime/process/process-runtime.js';
import { WarmPool } from '../src/adapters/runtime/warm-pool/warm-pool.js';
import { WarmPoolRuntime } from '../src/adapters/runtime/warm-pool/warm-pool-runtime.js';
import type { Runtime, SpawnSpec } from '../src/core/ports/runtime.js';
import { DEFAULT_SANDBOX } from '../src/core/sandbox.js';
import { argNumber } from './bench-args.js';
import { percentile } from './bench-stats.js';

export interface SleeveStartBenchOptions {
  /** Timed starts per case (after a few untimed warm-up starts). */
  readonly runs?: number;
  /** Stop early (with fewer runs) once this much time has gone by. */
  readonly maxSeconds?: number;
  /** Print the table to stdout (default true). */
  readonly print?: boolean;
}

export interface SleeveStartRow {
  readonly name: string;
  readonly runs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface SleeveStartBenchResult {
  readonly rows: readonly SleeveStartRow[];
  /** How the peer was run, or why it was not. */
  readonly peer: string;
  /** bubblewrap p50 / sandbox-runtime p50 (below 1 = ours is faster); null if either is missing. */
  readonly ratio: number | null;
  readonly coldTargetMet: boolean | null;
  /** Cold bubblewrap p50 below sandbox-runtime's p50. */
  readonly fasterThanPeer: boolean | null;
  /** The warm pool's rows, or why there are none. */
  readonly warmPool: WarmPoolResult | string;
}

export interface WarmPoolResult {
  /** spawn() call until it returned (the command handed over to a waiting sandbox). */
  readonly claim: SleeveStartRow;
  /** spawn() call until the sleeve's exit, as for the other cases. */
  readonly startToExit: SleeveStartRow;
  readonly claimTargetMet: boolean;
  /** Warm start-to-exit p50 below sandbox-runtime's p50 (null without the peer). */
  readonly fasterThanPeer: boolean | null;
  /** Timed spawns that went cold instead (the pool had no idle entry); should be 0. */
  readonly fallbacks: number;
}

/** The cold-start target for a bubblewrap sleeve (p50). */
export const COLD_P50_TARGET_MS = 30;
/** The warm-claim target (p99). */
export const WARM_CLAIM_P99_TARGET_MS = 5;
const WARMUP = 5;

type Starter = () => Promise<void>;

/**
 * A warm pool over a node-like layout in `root` (`work/workspaces`, `work/homes`, the work dir
 * hidden as a node hides it); one task workspace is claimed again and again (each run moves it
 * into a warm sleeve and back). Before each timed claim the bench waits, untimed, until the
 * pool has refilled, so that no case is timed while a refill of an earlier claim is running.
 */
function warmStarter(root: string, claims: number[]): { start: Starter; runtime: WarmPoolRuntime } {
  const work = join(root, 'work');
  const ws = join(work, 'workspaces', 'bench-task');
  const home = join(work, 'homes', 'bench-task');
  mkdirSync(ws, { recursive: true });
  mkdirSync(home, { recursive: true });
  const cold = new BubblewrapRuntime({ hiddenPaths: [work] });
  const pool = new WarmPool(cold, {
    size: 2,
    anchors: [join(work, 'workspaces'), join(work, 'homes')],
    poolDir: join(work, 'warm-pool'),
    profiles: [{ network: 'none', limits: DEFAULT_SANDBOX.limits }],
  });
  pool.start();
  const runtime = new WarmPoolRuntime(cold, pool);
  const spec: SpawnSpec = { command: '/bin/true', args: [], cwd: ws, env: { PATH: '/usr/bin:/bin', HOME: home }, writablePaths: [home], sandbox: DEFAULT_SANDBOX };
  const start: Starter = async () => {
    const t0 = performance.now();
    const sleeve = await runtime.spawn(spec);
    claims.push(performance.now() - t0);
    const exit = await sleeve.exited;
    if (exit.exitCode !== 0) throw new Error(`warm pool: /bin/true exited with ${exit.exitCode} (${exit.signal})`);
  };
  return { start, runtime };
}

function runtimeStarter(runtime: Runtime, cwd: string, sandboxed: boolean): Starter {
  const spec: SpawnSpec = {
    command: '/bin/true',
    args: [],
    cwd,
    env: { PATH: '/usr/bin:/bin', HOME: cwd },
    ...(sandboxed ? { sandbox: DEFAULT_SANDBOX } : {}),
  };
  return async () => {
    const sleeve = await runtime.spawn(spec);
    const exit = await sleeve.exited;
    if (exit.exitCode !== 0) throw new Error(`${runtime.name}: /bin/true exited with ${exit.exitCode} (${exit.signal})`);
  };
}

interface Peer {
  readonly start: Starter;
  readonly how: string;
  close(): Promise<void>;
}

/** The peer through sandbox-runtime's library API: the argv is built once, spawned each run. */
async function sandboxRuntimePeer(cwd: string): Promise<Peer | string> {
  const lib = await import('@anthropic-ai/sandbox-runtime').catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  if (lib instanceof Error) return `sandbox-runtime not loadable (${lib.message})`;
  const manager = lib.SandboxManager;
  try {
    await manager.initialize({
      network: { allowedDomains: [], deniedDomains: [] },
      filesystem: { denyRead: [], allowWrite: [cwd], denyWrite: [] },
    });
    const wrapped = await manager.wrapWithSandboxArgv('/bin/true', undefined, undefined, undefined, cwd);
    const [file, ...args] = wrapped.argv;
    if (file === undefined) throw new Error('empty argv');
    const env = { ...wrapped.env };
    const start: Starter = () =>
      new Promise((resolve, reject) => {
        const child = spawn(file, args, { cwd, env, stdio: 'ignore' });
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sandbox-runtime: /bin/true exited with ${code}`))));
      });
    await start(); // fails here rather than in the timed loop
    return {
      start,
      how: 'library API (SandboxManager.wrapWithSandboxArgv once, argv spawned each run; network: no domains allowed)',
      close: () => manager.reset(),
    };
  } catch (e) {
    await manager.reset().catch(() => undefined);
    return `sandbox-runtime could not run here (${(e as Error).message.split('\n')[0]})`;
  }
}

function totalFallbacks(runtime: WarmPoolRuntime): number {
  return Object.values(runtime.pool.stats().fallbacks).reduce((a, b) => a + b, 0);
}

function summarize(name: string, times: number[]): SleeveStartRow {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    name,
    runs: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    minMs: sorted[0] ?? Number.NaN,
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

function formatTable(rows: readonly SleeveStartRow[]): string {
  const header = ['case', 'runs', 'p50 ms', 'p99 ms', 'min ms', 'max ms'];
  const f = (ms: number): string => ms.toFixed(ms < 10 ? 2 : 1);
  const body = rows.map((r) => [r.name, String(r.runs), f(r.p50Ms), f(r.p99Ms), f(r.minMs), f(r.maxMs)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export async function runSleeveStartBench(opts: SleeveStartBenchOptions = {}): Promise<SleeveStartBenchResult> {
  const runs = opts.runs ?? 200;
  const deadline = performance.now() + (opts.maxSeconds ?? 50) * 1000;
  const print = opts.print ?? true;
  const cwd = mkdtempSync(join(tmpdir(), 'cortical-start-bench-'));

  const warmRoot = mkdtempSync(join(tmpdir(), 'cortical-warm-bench-'));

  const cases: { name: string; start: Starter; times: number[]; before?: () => Promise<void> }[] = [];
  cases.push({ name: 'process (unsandboxed)', start: runtimeStarter(new ProcessRuntime(), cwd, false), times: [] });
  const bwrapOk = await BubblewrapRuntime.available();
  let bwrap: BubblewrapRuntime | null = null;
  let warm: WarmPoolRuntime | null = null;
  const claims: number[] = [];
  if (bwrapOk) {
    bwrap = new BubblewrapRuntime();
    cases.push({ name: 'bubblewrap, cold (network none)', start: runtimeStarter(bwrap, cwd, true), times: [] });
    const w = warmStarter(warmRoot, claims);
    warm = w.runtime;
    const pool = w.runtime.pool;
    cases.push({ name: 'bubblewrap, warm pool: start -> exit', start: w.start, times: [], before: () => pool.whenFull() });
  }
  const peer = await sandboxRuntimePeer(cwd);
  let warmFallbacks: number;
  if (typeof peer !== 'string') cases.push({ name: 'sandbox-runtime (peer)', start: peer.start, times: [] });

  try {
    for (const c of cases) {
      for (let i = 0; i < WARMUP; i++) {
        await c.before?.();
        await c.start();
      }
    }
    claims.length = 0;
    const fallbacksBefore = warm === null ? 0 : totalFallbacks(warm);
    for (let round = 0; round < runs && performance.now() < deadline; round++) {
      // Rotate the order each round so none of them always runs right after another.
      for (let k = 0; k < cases.length; k++) {
        const c = cases[(round + k) % cases.length]!;
        await c.before?.();
        const t0 = performance.now();
        await c.start();
        c.times.push(performance.now() - t0);
      }
    }
    warmFallbacks = warm === null ? 0 : totalFallbacks(warm) - fallbacksBefore;
  } finally {
    if (typeof peer !== 'string') await peer.close();
    await warm?.close();
    rmSync(cwd, { recursive: true, force: true });
    rmSync(warmRoot, { recursive: true, force: true });
  }

  const rows = cases.map((c) => summarize(c.name, c.times));
  const ours = bwrapOk ? rows[1] : undefined;
  const theirs = typeof peer === 'string' ? undefined : rows[rows.length - 1];
  const ratio = ours && theirs ? ours.p50Ms / theirs.p50Ms : null;
  const warmExit = bwrapOk ? rows[2] : undefined;
  const claimRow = summarize('bubblewrap, warm pool: claim (spawn returned)', claims);
  if (warmExit) rows.splice(2, 0, claimRow);
  const result: SleeveStartBenchResult = {
    rows,
    peer: typeof peer === 'string' ? peer : peer.how,
    ratio,
    coldTargetMet: ours ? ours.p50Ms <= COLD_P50_TARGET_MS : null,
    fasterThanPeer: ratio === null ? null : ratio < 1,
    warmPool: warmExit
      ? {
          claim: claimRow,
          startToExit: warmExit,
          claimTargetMet: claimRow.p99Ms <= WARM_CLAIM_P99_TARGET_MS,
          fasterThanPeer: theirs ? warmExit.p50Ms < theirs.p50Ms : null,
          fallbacks: warmFallbacks,
        }
      : 'bubblewrap not available',
  };

  if (print) {
    const yes = (b: boolean | null): string => (b === null ? 'n/a' : b ? 'met' : 'NOT met');
    console.log('sleeve start: /bin/true from spawn to exit\n');
    console.log(formatTable(rows));
    console.log('');
    if (!bwrapOk) console.log('bubblewrap: not available on this host (no sleeve rows)');
    else console.log(`bubblewrap enforcement: ${JSON.stringify(bwrap?.enforcement ?? {})}`);
    console.log(`sandbox-runtime: ${result.peer}`);
    const wp = result.warmPool;
    if (typeof wp === 'string') console.log(`warm pool: ${wp}`);
    else console.log(`warm pool: 2 sleeves per profile; timed spawns that went cold: ${wp.fallbacks}`);
    if (ratio !== null) {
      const how = ratio < 1 ? `${(1 / ratio).toFixed(2)}x faster` : `${ratio.toFixed(2)}x slower`;
      console.log(`bubblewrap cold / sandbox-runtime (p50): ${ratio.toFixed(2)} (bubblewrap ${how})`);
    }
    console.log(
      `targets: cold p50 <= ${COLD_P50_TARGET_MS} ms: ${yes(result.coldTargetMet)}` +
        `${ours ? ` (${ours.p50Ms.toFixed(1)} ms)` : ''}; ` +
        `warm claim p99 <= ${WARM_CLAIM_P99_TARGET_MS} ms: ${yes(typeof wp === 'string' ? null : wp.claimTargetMet)}` +
        `${typeof wp === 'string' ? '' : ` (${wp.claim.p99Ms.toFixed(2)} ms)`}; ` +
        `faster than sandbox-runtime: cold ${yes(result.fasterThanPeer)}, warm ${yes(typeof wp === 'string' ? null : wp.fasterThanPeer)}`,
    );
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  await runSleeveStartBench({ runs: argNumber(args, '--runs'), maxSeconds: argNumber(args, '--max-seconds') });
}
