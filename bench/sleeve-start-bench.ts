/**
 * Sleeve start bench: how long a trivial command (`/bin/true`) takes from spawn to exit.
 *
 * Three cases in the same run, interleaved round by round so that drift on a noisy machine
 * hits them alike: a plain process (`ProcessRuntime`, unsandboxed), a cold bubblewrap sleeve
 * (`BubblewrapRuntime`, network `none`, default limits: its cgroup, rlimits and namespaces are
 * made per run), and the peer, the same command wrapped by @anthropic-ai/sandbox-runtime (its
 * library API builds the wrapped argv once; each run spawns it). A warm pool does not exist
 * yet, so no claim latency is reported for it.
 *
 *   npx tsx bench/sleeve-start-bench.ts [--runs 200] [--max-seconds 50]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { BubblewrapRuntime } from '../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { ProcessRuntime } from '../src/adapters/runtime/process/process-runtime.js';
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
  readonly fasterThanPeer: boolean | null;
  readonly warmPool: 'not implemented';
}

/** The cold-start target for a bubblewrap sleeve (p50). */
export const COLD_P50_TARGET_MS = 30;
const WARMUP = 5;

type Starter = () => Promise<void>;

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
  const body = rows.map((r) => [r.name, String(r.runs), r.p50Ms.toFixed(1), r.p99Ms.toFixed(1), r.minMs.toFixed(1), r.maxMs.toFixed(1)]);
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

  const cases: { name: string; start: Starter; times: number[] }[] = [];
  cases.push({ name: 'process (unsandboxed)', start: runtimeStarter(new ProcessRuntime(), cwd, false), times: [] });
  const bwrapOk = await BubblewrapRuntime.available();
  let bwrap: BubblewrapRuntime | null = null;
  if (bwrapOk) {
    bwrap = new BubblewrapRuntime();
    cases.push({ name: 'bubblewrap, cold (network none)', start: runtimeStarter(bwrap, cwd, true), times: [] });
  }
  const peer = await sandboxRuntimePeer(cwd);
  if (typeof peer !== 'string') cases.push({ name: 'sandbox-runtime (peer)', start: peer.start, times: [] });

  try {
    for (const c of cases) for (let i = 0; i < WARMUP; i++) await c.start();
    for (let round = 0; round < runs && performance.now() < deadline; round++) {
      // Rotate the order each round so none of them always runs right after another.
      for (let k = 0; k < cases.length; k++) {
        const c = cases[(round + k) % cases.length]!;
        const t0 = performance.now();
        await c.start();
        c.times.push(performance.now() - t0);
      }
    }
  } finally {
    if (typeof peer !== 'string') await peer.close();
    rmSync(cwd, { recursive: true, force: true });
  }

  const rows = cases.map((c) => summarize(c.name, c.times));
  const ours = bwrapOk ? rows[1] : undefined;
  const theirs = typeof peer === 'string' ? undefined : rows[rows.length - 1];
  const ratio = ours && theirs ? ours.p50Ms / theirs.p50Ms : null;
  const result: SleeveStartBenchResult = {
    rows,
    peer: typeof peer === 'string' ? peer : peer.how,
    ratio,
    coldTargetMet: ours ? ours.p50Ms <= COLD_P50_TARGET_MS : null,
    fasterThanPeer: ratio === null ? null : ratio < 1,
    warmPool: 'not implemented',
  };

  if (print) {
    const yes = (b: boolean | null): string => (b === null ? 'n/a' : b ? 'met' : 'NOT met');
    console.log('sleeve start: /bin/true from spawn to exit\n');
    console.log(formatTable(rows));
    console.log('');
    if (!bwrapOk) console.log('bubblewrap: not available on this host (no sleeve rows)');
    else console.log(`bubblewrap enforcement: ${JSON.stringify(bwrap?.enforcement ?? {})}`);
    console.log(`sandbox-runtime: ${result.peer}`);
    console.log(`warm pool: ${result.warmPool}`);
    if (ratio !== null) {
      const how = ratio < 1 ? `${(1 / ratio).toFixed(2)}x faster` : `${ratio.toFixed(2)}x slower`;
      console.log(`bubblewrap / sandbox-runtime (p50): ${ratio.toFixed(2)} (bubblewrap ${how})`);
    }
    console.log(
      `targets: cold p50 <= ${COLD_P50_TARGET_MS} ms: ${yes(result.coldTargetMet)}` +
        `${ours ? ` (${ours.p50Ms.toFixed(1)} ms)` : ''}; faster than sandbox-runtime: ${yes(result.fasterThanPeer)}`,
    );
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  await runSleeveStartBench({ runs: argNumber(args, '--runs'), maxSeconds: argNumber(args, '--max-seconds') });
}
