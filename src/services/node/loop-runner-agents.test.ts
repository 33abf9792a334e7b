/**
 * The loop runner with AI agents: rate-limit fallbacks, auth errors, guidance into a running
 * iteration, resleeve, key redaction and the model endpoint in the sleeve's network. The drivers
 * here are test doubles ("event script drivers") that replay planned events; the real drivers
 * are tested against the real CLIs in src/adapters/agents and test/e2e.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitWorkspaces } from '../../adapters/workspace/git/git-workspace.js';
import { ProcessRuntime } from '../../adapters/runtime/process/process-runtime.js';
import type { AgentDriver, AgentEvent, AgentIterationInput, AgentRun, GuidanceDelivery } from '../../core/ports/agent-driver.js';
import { NO_ENDPOINTS, type ModelEndpoints } from '../../core/model-endpoints.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { Task } from '../../core/task.js';
import { InMemoryHqDouble } from './in-memory-hq-double.js';
import { LoopRunner, type LoopControls } from './loop-runner.js';
import { leasedTask } from './node-test-kit.js';

const root = mkdtempSync(join(tmpdir(), 'cortical-loop-agents-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const KEY = 'sk-live-abcdef0123456789';
const ENDPOINTS: ModelEndpoints = { ...NO_ENDPOINTS, anthropic: { baseUrl: 'http://127.0.0.1:7001', apiKey: KEY, defaultModel: null }, openai: { baseUrl: 'http://127.0.0.1:7002/v1', apiKey: KEY, defaultModel: null } };

type Step = AgentEvent | { wait: number };

/** Test double: each iteration replays the next planned list of events. */
class EventScriptDriver implements AgentDriver {
  readonly inputs: AgentIterationInput[] = [];
  readonly guided: string[] = [];
  constructor(
    readonly name: string,
    private readonly plans: Step[][],
    readonly guidance: GuidanceDelivery = 'next_iteration',
  ) {}

  startIteration(input: AgentIterationInput): Promise<AgentRun> {
    this.inputs.push(input);
    const plan = this.plans.shift() ?? [{ kind: 'done', summary: null }];
    let stopped = false;
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    async function* events(): AsyncGenerator<AgentEvent> {
      for (const step of plan) {
        if (stopped) break;
        if ('wait' in step) await Promise.race([new Promise((r) => setTimeout(r, step.wait)), ended]);
        else yield step;
      }
      end();
    }
    const run: AgentRun = {
      events: events(),
      exited: ended.then(() => ({ exitCode: stopped ? null : 0, signal: stopped ? 'SIGTERM' : null })),
      suspend: () => undefined,
      resume: () => undefined,
      stop: async () => {
        stopped = true;
        end();
        await ended;
      },
      ...(this.guidance === 'next_iteration'
        ? {}
        : {
            guide: (text: string) => {
              this.guided.push(text);
              return Promise.resolve(this.guidance as Exclude<GuidanceDelivery, 'next_iteration'>);
            },
          }),
    };
    return Promise.resolve(run);
  }
}

function setup(task: Task, drivers: AgentDriver[]) {
  const hq = new InMemoryHqDouble();
  hq.tasks.set(task.id, task);
  const workDir = join(root, task.id);
  const runner = new LoopRunner(task, {
    hq,
    runtime: new ProcessRuntime(),
    drivers: new Map(drivers.map((d) => [d.name, d])),
    workspaces: new GitWorkspaces(workDir),
    clock: { nowMs: () => Date.now() },
    logger: silentLogger,
    baseEnv: { PATH: '/usr/bin:/bin' },
    stopGraceMs: 100,
    flushIntervalMs: 30,
    endpoints: ENDPOINTS,
    fallbackBackoffMs: 50,
  });
  const running = runner.start(new AbortController().signal);
  const control = (c: Partial<LoopControls>) => runner.applyControls({ desired: 'run', pendingGuidance: [], killSwitch: false, ...c });
  return { hq, runner, running, control };
}

const rateLimited: AgentEvent = { kind: 'error', reason: 'rate_limited', message: 'HTTP 429 slow down', fatal: true, retryAfterMs: 10 };
const usage = (usd: number): AgentEvent => ({ kind: 'usage', tokensIn: 100, tokensOut: 10, usd });

describe('LoopRunner with AI agents', () => {
  it('a rate-limited iteration is retried on the next fallback after a back-off, with its model', async () => {
    const claude = new EventScriptDriver('claude', [[usage(0.01), rateLimited]]);
    const codex = new EventScriptDriver('codex', [[usage(0.02), { kind: 'done', summary: 'ok' }]]);
    const task = leasedTask('task_rl', 'fix it', { spec: { agent: 'claude', mode: 'loop', fallbacks: [{ agent: 'codex', model: 'gpt-5-mini' }] } });
    const { hq, runner, running } = setup(task, [claude, codex]);
    await running;
    expect(runner.result).toMatchObject({ outcome: 'succeeded', reason: 'agent_done' });
    expect(codex.inputs[0]?.model).toBe('gpt-5-mini');
    expect(hq.logText().some((l) => /rate-limited on claude; retrying on codex \(gpt-5-mini\) in \d+ ms/.test(l))).toBe(true);
    expect(hq.completions[0]?.usage).toMatchObject({ iterations: 2, usd: 0.03 });
  });

  it('with no fallback left a rate limit fails the task with reason rate_limited', async () => {
    const claude = new EventScriptDriver('claude', [[rateLimited]]);
    const { runner, running } = setup(leasedTask('task_rl2', 'fix it', { spec: { agent: 'claude', mode: 'loop' } }), [claude]);
    await running;
    expect(runner.result).toMatchObject({ outcome: 'failed', reason: 'rate_limited' });
  });

  it('an auth error fails the task with reason auth_failed, and the key never reaches HQ', async () => {
    const claude = new EventScriptDriver('claude', [[{ kind: 'message', text: `using key ${KEY}` }, { kind: 'error', reason: 'auth_failed', message: `invalid key ${KEY}`, fatal: true }]]);
    const { hq, runner, running } = setup(leasedTask('task_auth', 'fix it', { spec: { agent: 'claude', mode: 'loop' } }), [claude]);
    await running;
    expect(runner.result).toMatchObject({ outcome: 'failed', reason: 'auth_failed' });
    const all = JSON.stringify({ logs: hq.logText(), iterations: hq.iterations, completions: hq.completions });
    expect(all).not.toContain(KEY);
    expect(hq.logText()).toContain('using key [redacted]');
  });

  it('guidance arriving mid-iteration goes into the running agent, and HQ learns the delivery mode', async () => {
    const claude = new EventScriptDriver('claude', [[{ wait: 400 }, { kind: 'done', summary: null }]], 'live');
    const { hq, running, control } = setup(leasedTask('task_guide', 'fix it', { spec: { agent: 'claude', mode: 'loop' } }), [claude]);
    await new Promise((r) => setTimeout(r, 150));
    control({ pendingGuidance: [{ taskId: 'task_guide', seq: 1, text: 'use tabs', createdAt: 0, actor: 'user', deliveredAt: null }] });
    await running;
    expect(claude.guided).toEqual(['use tabs']);
    expect(claude.inputs).toHaveLength(1);
    expect(hq.progress.some((p) => JSON.stringify((p as { guidanceDeliveries?: unknown }).guidanceDeliveries) === '[{"seq":1,"mode":"live"}]')).toBe(true);
  });

  it('a resleeve switches the driver at the next iteration, on the same workspace', async () => {
    const claude = new EventScriptDriver('claude', [[{ wait: 300 }]], 'live');
    const codex = new EventScriptDriver('codex', [[{ kind: 'done', summary: null }]]);
    const { runner, running, control } = setup(leasedTask('task_resleeve', 'fix it', { spec: { agent: 'claude', mode: 'loop' } }), [claude, codex]);
    await new Promise((r) => setTimeout(r, 100));
    control({ agent: { agent: 'codex', model: null } });
    await running;
    expect(runner.result).toMatchObject({ outcome: 'succeeded' });
    expect(codex.inputs[0]?.workspacePath).toBe(claude.inputs[0]?.workspacePath);
    expect(codex.inputs[0]?.iteration).toBe(2);
  });

  it("an agent's sleeve may reach exactly its model endpoint; the node's endpoints are handed to the driver", async () => {
    const claude = new EventScriptDriver('claude', [[{ kind: 'done', summary: null }]]);
    const { running } = setup(leasedTask('task_net', 'fix it', { spec: { agent: 'claude', mode: 'loop' } }), [claude]);
    await running;
    expect(claude.inputs[0]?.sleeve?.sandbox.network).toEqual({ mode: 'allowlist', allow: ['127.0.0.1:7001'] });
    expect(claude.inputs[0]?.endpoints?.anthropic?.apiKey).toBe(KEY);
    expect(claude.inputs[0]?.homePath).toBeTruthy();
  });

  it('a dollar budget stops the agent at the usage report that crosses it (overshoot at most one response)', async () => {
    const claude = new EventScriptDriver('claude', [[usage(0.4), { wait: 20 }, usage(0.8), { wait: 20 }, usage(1.2), { wait: 2000 }, usage(1.6)]]);
    const task = leasedTask('task_budget', 'fix it', { spec: { agent: 'claude', mode: 'loop', guardrails: { maxIterations: 5, timeoutMs: null, iterationTimeoutMs: null, budgetTokens: null, budgetUsd: 1, stuckAfterIterations: null } } });
    const { hq, runner, running } = setup(task, [claude]);
    await running;
    expect(runner.result).toMatchObject({ outcome: 'failed', reason: 'budget_exceeded' });
    expect(hq.completions[0]?.usage?.usd).toBe(1.2);
  });
});
