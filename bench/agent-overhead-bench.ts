/**
 * Agent orchestration overhead bench: how much longer one iteration takes when Cortical runs it
 * (a node's loop runner: workspace, driver, sleeve, event parsing, progress to HQ) than the same
 * CLI run directly with the same arguments, environment and config against the same scripted
 * model server.
 *
 * Per agent, two cases interleaved round by round so drift on a noisy machine hits both alike:
 *   direct  — the exact command line and environment the driver builds (recorded once), spawned
 *             with node:child_process in the same workspace, until it exits;
 *   cortical — a `once` task through LoopRunner (in-memory HQ double, git workspaces, the process
 *             runtime, so both run unsandboxed and only orchestration differs), until the attempt
 *             is completed at HQ.
 * Each run has the model write a file, then answer; the file is checked in both cases.
 *
 *   npx tsx bench/agent-overhead-bench.ts [--runs 10] [--agents claude,codex,gemini,opencode,builtin]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ProcessRuntime } from '../src/adapters/runtime/process/process-runtime.js';
import { GitWorkspaces } from '../src/adapters/workspace/git/git-workspace.js';
import type { DriverKit } from '../src/adapters/agents/agent-driver.contract.js';
import type { AgentDriver } from '../src/core/ports/agent-driver.js';
import type { ModelEndpoints } from '../src/core/model-endpoints.js';
import { silentLogger } from '../src/core/ports/logger.js';
import type { Runtime, Sleeve, SpawnSpec } from '../src/core/ports/runtime.js';
import { InMemoryHqDouble } from '../src/services/node/in-memory-hq-double.js';
import { LoopRunner } from '../src/services/node/loop-runner.js';
import { leasedTask } from '../src/services/node/node-test-kit.js';
import { agentCli, AGENT_CLIS_BIN } from '../test/kit/agents/agent-sleeve-kit.js';
import { startModelServer } from '../test/kit/model-server/model-server.js';
import { argNumber, argValue } from './bench-args.js';
import { percentile } from './bench-stats.js';

const KEY = 'sk-bench-0000000000';
const ALL = ['claude', 'codex', 'gemini', 'opencode', 'builtin'] as const;
type AgentName = (typeof ALL)[number];

async function kitOf(agent: AgentName): Promise<DriverKit> {
  const m = (await import(`../test/kit/agents/${agent}-script.js`)) as Record<string, DriverKit>;
  const kit = m[`${agent}Kit`];
  if (kit === undefined) throw new Error(`test/kit/agents/${agent}-script.ts exports no ${agent}Kit`);
  return kit;
}

/** A runtime that only records the spawn spec a driver makes (its sleeve has ended at once). */
class CaptureRuntime implements Runtime {
  readonly name = 'process';
  readonly sandboxed = false;
  spec: SpawnSpec | null = null;
  spawn(spec: SpawnSpec): Promise<Sleeve> {
    this.spec = spec;
    const exit = { exitCode: 0, signal: null, endedBy: 'exit' as const };
    async function* none(): AsyncGenerator<{ stream: 'stdout' | 'stderr'; text: string }> {}
    return Promise.resolve({ pid: 0, lines: none(), exited: Promise.resolve(exit), suspend: () => undefined, resume: () => undefined, stop: () => Promise.resolve(exit) });
  }
}

/** The command line, environment and stdin a driver would run for one iteration. */
async function commandLineOf(
  driver: AgentDriver,
  input: { workspacePath: string; homePath: string; env: Record<string, string>; endpoints: ModelEndpoints; model: string },
): Promise<SpawnSpec> {
  const capture = new CaptureRuntime();
  const run = await driver.startIteration({ taskId: 'task_direct', iteration: 1, prompt: 'Create bench.txt', taskPrompt: 'Create bench.txt', guidance: [], runtime: capture, resumeSession: null, ...input });
  for await (const e of run.events) void e;
  if (capture.spec === null) throw new Error(`${driver.name}: no command line`);
  return capture.spec;
}

/** Runs a recorded spawn spec directly (no Cortical) until it exits; ms. */
function direct(spec: SpawnSpec, cwd: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(spec.command, [...spec.args], { cwd, env: { ...spec.env }, stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'] });
    if (spec.stdin !== undefined) child.stdin?.end(spec.stdin);
    child.on('error', reject);
    child.on('exit', () => resolvePromise(performance.now() - t0));
  });
}

export interface AgentOverheadRow {
  readonly agent: string;
  readonly runs: number;
  readonly directP50Ms: number;
  readonly directP99Ms: number;
  readonly corticalP50Ms: number;
  readonly corticalP99Ms: number;
  readonly overheadP50Ms: number;
}

export async function runAgentOverheadBench(opts: { runs?: number; agents?: readonly AgentName[]; print?: boolean } = {}): Promise<AgentOverheadRow[]> {
  const runs = opts.runs ?? 10;
  const agents = (opts.agents ?? ALL).filter((a) => a === 'builtin' || agentCli(a) !== null);
  const base = resolve(import.meta.dirname, '..', '.test-tmp');
  mkdirSync(base, { recursive: true });
  const root = mkdtempSync(join(base, 'agent-bench-'));
  const rows: AgentOverheadRow[] = [];
  try {
    for (const agent of agents) {
      const kit = await kitOf(agent);
      const server = await startModelServer({ protocols: kit.protocols, responder: kit.writeFileScript('bench.txt', 'bench\n', { input: 1000, output: 100 }) });
      const driver: AgentDriver = kit.makeDriver(agent === 'builtin' ? '' : agentCli(agent)!);
      const env = { PATH: `${AGENT_CLIS_BIN}:/usr/local/bin:/usr/bin:/bin`, LANG: 'C.UTF-8', TERM: 'dumb' };
      const endpoints = kit.endpoints(server.url, KEY);
      const directMs: number[] = [];
      const corticalMs: number[] = [];
      for (let i = -1; i < runs; i += 1) {
        const n = i + 1;
        // cortical
        const workDir = join(root, `${agent}-c-${n}`);
        const task = leasedTask(`task_b${n}`, 'Create bench.txt', { spec: { agent, mode: 'once', model: kit.model } });
        const hq = new InMemoryHqDouble();
        hq.tasks.set(task.id, task);
        const runner = new LoopRunner(task, {
          hq,
          runtime: new ProcessRuntime(),
          drivers: new Map([[agent, driver]]),
          workspaces: new GitWorkspaces(workDir),
          clock: { nowMs: () => Date.now() },
          logger: silentLogger,
          baseEnv: env,
          endpoints,
          flushIntervalMs: 50,
        });
        const t0 = performance.now();
        await runner.start(new AbortController().signal);
        const cMs = performance.now() - t0;
        if (!existsSync(join(workDir, 'workspaces', task.id, 'bench.txt'))) throw new Error(`${agent}: the Cortical run wrote no file (${JSON.stringify(runner.result)})`);
        // direct: the driver writes its config and builds its command line (untimed), which is
        // then spawned directly and timed from spawn to exit
        const dir = join(root, `${agent}-d-${n}`);
        const home = join(root, `${agent}-h-${n}`);
        mkdirSync(dir, { recursive: true });
        mkdirSync(home, { recursive: true });
        const spec = await commandLineOf(driver, { workspacePath: dir, homePath: home, env: { ...env, HOME: home }, endpoints, model: kit.model });
        const dMs = await direct(spec, dir);
        if (!existsSync(join(dir, 'bench.txt'))) throw new Error(`${agent}: the direct run wrote no file`);
        if (i >= 0) {
          corticalMs.push(cMs);
          directMs.push(dMs);
        }
        rmSync(dir, { recursive: true, force: true });
        rmSync(home, { recursive: true, force: true });
        rmSync(workDir, { recursive: true, force: true });
      }
      await server.close();
      const d = [...directMs].sort((a, b) => a - b);
      const c = [...corticalMs].sort((a, b) => a - b);
      rows.push({
        agent,
        runs,
        directP50Ms: percentile(d, 50),
        directP99Ms: percentile(d, 99),
        corticalP50Ms: percentile(c, 50),
        corticalP99Ms: percentile(c, 99),
        overheadP50Ms: percentile(c, 50) - percentile(d, 50),
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  if (opts.print ?? true) {
    console.log('| agent | runs | direct p50 | direct p99 | Cortical p50 | Cortical p99 | overhead p50 | ratio p50 |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(
        `| ${r.agent} | ${r.runs} | ${r.directP50Ms.toFixed(0)} ms | ${r.directP99Ms.toFixed(0)} ms | ${r.corticalP50Ms.toFixed(0)} ms | ${r.corticalP99Ms.toFixed(0)} ms | ${r.overheadP50Ms.toFixed(0)} ms | ${(r.corticalP50Ms / r.directP50Ms).toFixed(2)}× |`,
      );
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const list = argValue(args, '--agents');
  await runAgentOverheadBench({ runs: argNumber(args, '--runs') ?? 10, ...(list ? { agents: list.split(',') as AgentName[] } : {}) });
}
