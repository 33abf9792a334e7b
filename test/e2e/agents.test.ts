/**
 * End to end with the real agent CLIs (installed from npm, pinned in tools/agent-clis) and the
 * built-in agent: `cortical up` (HQ + local node, sleeves in bubblewrap) runs each as a Cortical
 * task against scripted model servers; a sleeve's network reaches only its model endpoint. The
 * model asks the agent to write a file; the file appears in the task's workspace, the task
 * succeeds, tokens and dollars are recorded. Also: resleeve (claude → codex), a dollar cap, a
 * project budget, and guidance with its delivery mode in the API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelEndpoints } from '../../src/core/model-endpoints.js';
import type { DriverKit } from '../../src/adapters/agents/agent-driver.contract.js';
import { AGENT_CLIS_BIN, cliSkipReason } from '../kit/agents/agent-sleeve-kit.js';
import { builtinKit } from '../kit/agents/builtin-script.js';
import { claudeKit } from '../kit/agents/claude-script.js';
import { codexKit } from '../kit/agents/codex-script.js';
import { geminiKit } from '../kit/agents/gemini-script.js';
import { opencodeKit } from '../kit/agents/opencode-script.js';
import { startModelServer, type ModelServer } from '../kit/model-server/model-server.js';
import type { ProtocolHandler, Responder } from '../kit/model-server/model-server-types.js';
import { api, baseEnv, cortical, CorticalDaemon, corticalJson, eventually, tempDir } from './cortical-process.js';

const KEY = 'sk-e2e-SECRET-0c4f2d9a71';
type AgentName = 'claude' | 'codex' | 'gemini' | 'opencode' | 'builtin';
const KITS: Record<AgentName, DriverKit> = { claude: claudeKit, codex: codexKit, gemini: geminiKit, opencode: opencodeKit, builtin: builtinKit };
const CLI_AGENTS = ['claude', 'codex', 'gemini', 'opencode'] as const;
const skip = CLI_AGENTS.map((a) => cliSkipReason(a)).find((r) => r !== null) ?? null;

type Task = {
  id: string;
  state: string;
  reason: string | null;
  message: string | null;
  usage: { iterations: number; tokensIn: number; tokensOut: number; usd: number };
  workspacePath: string | null;
};

/** One model server per provider variable set; each answers with the script of the agent using it now. */
interface Provider {
  readonly server: ModelServer;
  responders: Partial<Record<string, Responder>>;
}

const providers = new Map<keyof ModelEndpoints, Provider>();
let home: { path: string; remove(): Promise<void> };
let up: CorticalDaemon;
let env: NodeJS.ProcessEnv;
let url: string;
let token: string;

/** The provider (endpoint kind) an agent's kit configures. */
function kindOf(kit: DriverKit): keyof ModelEndpoints {
  const e = kit.endpoints('http://probe.invalid', 'k');
  const kind = (Object.keys(e) as (keyof ModelEndpoints)[]).find((k) => e[k] !== null);
  if (kind === undefined) throw new Error('kit configures no endpoint');
  return kind;
}

/** Routes each request to the responder of the agent whose protocol (and model) it uses. */
function route(p: { responders: Partial<Record<string, Responder>> }): Responder {
  return (req) => {
    const r = p.responders[`${req.protocol}:${req.model}`] ?? p.responders[req.protocol];
    if (r === undefined) return { error: { kind: 'server', message: `no script for ${req.protocol} ${req.model}` } };
    return r(req);
  };
}

function useScript(agent: AgentName, responder: Responder): void {
  const kit = KITS[agent];
  const p = providers.get(kindOf(kit))!;
  const protocols = new Set(kit.protocols.map((x) => x.protocol));
  for (const protocol of protocols) {
    p.responders[`${protocol}:${kit.model}`] = responder;
    p.responders[protocol] = responder;
  }
}

const ENV_OF: Record<keyof ModelEndpoints, [string, string]> = {
  anthropic: ['ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY'],
  openai: ['OPENAI_BASE_URL', 'OPENAI_API_KEY'],
  gemini: ['GOOGLE_GEMINI_BASE_URL', 'GEMINI_API_KEY'],
  openaiCompatible: ['CORTICAL_LLM_BASE_URL', 'CORTICAL_LLM_API_KEY'],
};

beforeAll(async () => {
  if (skip !== null) return;
  const providerEnv: Record<string, string> = {};
  const byKind = new Map<keyof ModelEndpoints, DriverKit[]>();
  for (const kit of Object.values(KITS)) byKind.set(kindOf(kit), [...(byKind.get(kindOf(kit)) ?? []), kit]);
  for (const [kind, kits] of byKind) {
    const protocols = new Map<string, ProtocolHandler>();
    for (const kit of kits) for (const h of kit.protocols) if (!protocols.has(h.protocol)) protocols.set(h.protocol, h);
    const p: { responders: Partial<Record<string, Responder>> } = { responders: {} };
    const server = await startModelServer({ protocols: [...protocols.values()], responder: route(p) });
    providers.set(kind, Object.assign(p, { server }));
    providerEnv[ENV_OF[kind][0]] = kits[0]!.endpoints(server.url, KEY)[kind]!.baseUrl;
    providerEnv[ENV_OF[kind][1]] = KEY;
  }
  home = await tempDir('agents');
  env = baseEnv({ CORTICAL_HOME: home.path, PATH: `${AGENT_CLIS_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`, ...providerEnv });
  up = new CorticalDaemon(['up', '--port', '0', '--slots', '2'], env);
  url = (await up.waitFor(/HQ at (http:\/\/\S+)/))[1]!;
  await up.waitFor(/admin token: (\S+)/);
  token = (await readFile(join(home.path, 'admin.token'), 'utf8')).trim();
}, 120_000);

afterAll(async () => {
  await up?.stop();
  for (const p of providers.values()) await p.server.close();
  await home?.remove();
});

async function show(id: string): Promise<Task> {
  const r = await api(url, token, 'GET', `/api/v1/tasks/${id}`);
  if (r.status !== 200) throw new Error(`GET task ${id}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json as Task;
}

async function waitState(id: string, states: readonly string[], timeoutMs = 150_000): Promise<Task> {
  return eventually(`task ${id} in ${states.join('|')}`, async () => {
    const t = await show(id);
    return states.includes(t.state) ? t : undefined;
  }, timeoutMs);
}

async function logsOf(id: string): Promise<string> {
  const r = await api(url, token, 'GET', `/api/v1/tasks/${id}/logs?limit=1000`);
  return (r.json.items as { text: string }[]).map((l) => l.text).join('\n');
}

async function eventsOf(id: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const r = await api(url, token, 'GET', `/api/v1/tasks/${id}/events?limit=1000`);
  return r.json.items as { type: string; data: Record<string, unknown> }[];
}

describe.skipIf(skip !== null)(`real agents as Cortical tasks${skip === null ? '' : ` [skipped: ${skip}]`}`, () => {
  it.each(['claude', 'codex', 'gemini', 'opencode', 'builtin'] as const)(
    '%s: the model has the agent write a file in a sleeve that reaches only its model server; the task succeeds with tokens and cost',
    async (agent) => {
      const kit = KITS[agent];
      const file = `hello-${agent}.txt`;
      useScript(agent, kit.writeFileScript(file, `written by ${agent}\n`, { input: 20_000, output: 2_000 }));
      const task = await corticalJson<Task>(['run', '--agent', agent, '--model', kit.model, '--project', 'e2e', `Create ${file}`], env);
      const done = await waitState(task.id, ['succeeded', 'failed', 'cancelled']);
      const logs = await logsOf(task.id);
      expect(done.state, `${done.reason}: ${done.message}\n${logs}`).toBe('succeeded');
      expect(readFileSync(join(done.workspacePath!, file), 'utf8').trim()).toBe(`written by ${agent}`);
      expect(done.usage.tokensIn).toBeGreaterThan(0);
      expect(done.usage.tokensOut).toBeGreaterThan(0);
      if (agent !== 'builtin') expect(done.usage.usd).toBeGreaterThan(0); // the built-in agent's local model has no price
      const events = await eventsOf(task.id);
      const started = events.find((e) => e.type === 'iteration.started');
      expect(started?.data).toMatchObject({ agent, sandboxed: true, network: 'allowlist' });
      expect(events.some((e) => e.type === 'agent.event' && e.data.type === 'tool_call')).toBe(true);
      expect(`${logs}\n${JSON.stringify(events)}`).not.toContain(KEY);
    },
    180_000,
  );

  it('resleeve claude → codex: the task continues on codex with the same workspace and .cstack/, and completes', async () => {
    useScript('claude', KITS.claude.writeFileScript('from-claude.txt', 'claude was here\n'));
    useScript('codex', KITS.codex.writeFileScript('from-codex.txt', 'codex was here\n'));
    const task = await corticalJson<Task>(['run', '--agent', 'claude', '--model', KITS.claude.model, '--mode', 'loop', '--max-iterations', '12', '--until', 'test -f from-codex.txt', 'Leave a file'], env);
    const first = await eventually('one claude iteration', async () => {
      const t = await show(task.id);
      return t.usage.iterations >= 1 && t.workspacePath !== null ? t : undefined;
    }, 150_000);
    const cstackBefore = readFileSync(join(first.workspacePath!, '.cstack', 'CURRENT.md'), 'utf8');
    const r = await cortical(['tasks', 'resleeve', task.id, '--agent', 'codex', '--model', KITS.codex.model], env);
    expect(r.code, r.stderr).toBe(0);
    const done = await waitState(task.id, ['succeeded', 'failed', 'cancelled']);
    expect(done.state, `${done.reason}: ${done.message}\n${await logsOf(task.id)}`).toBe('succeeded');
    expect(done.workspacePath).toBe(first.workspacePath);
    expect(existsSync(join(done.workspacePath!, 'from-claude.txt'))).toBe(true);
    expect(readFileSync(join(done.workspacePath!, 'from-codex.txt'), 'utf8').trim()).toBe('codex was here');
    expect(readFileSync(join(done.workspacePath!, '.cstack', 'CURRENT.md'), 'utf8')).toContain(cstackBefore.split('\n')[0]!);
    const events = await eventsOf(task.id);
    expect(events.some((e) => e.type === 'task.resleeved')).toBe(true);
    expect(events.filter((e) => e.type === 'iteration.started').map((e) => e.data.agent)).toContain('codex');
  }, 300_000);

  it('a dollar cap stops an expensive model with budget_exceeded, overshooting by at most one response', async () => {
    // every response costs 100k output tokens of claude-sonnet ($1.50) and asks for another tool call
    const perResponseUsd = 1.5;
    const write = KITS.claude.writeFileScript('loop.txt', 'x\n', { input: 0, output: 100_000 });
    useScript('claude', async (req) => {
      const reply = await write({ ...req, toolResults: [] });
      return { ...reply, usage: { input: 10, output: 100_000 } };
    });
    const task = await corticalJson<Task>(['run', '--agent', 'claude', '--model', 'claude-sonnet-4-5', '--budget-usd', '2', 'Work forever'], env);
    const done = await waitState(task.id, ['succeeded', 'failed', 'cancelled']);
    expect(done.reason, done.message ?? '').toBe('budget_exceeded');
    expect(done.usage.usd).toBeGreaterThanOrEqual(2);
    expect(done.usage.usd).toBeLessThanOrEqual(2 + perResponseUsd + 0.01);
  }, 200_000);

  it('a project over its daily budget keeps a new task queued with reason budget_exhausted', async () => {
    useScript('builtin', KITS.builtin.writeFileScript('b.txt', 'b\n'));
    const set = await cortical(['projects', 'budget', 'tight', '--daily-tokens', '10'], env);
    expect(set.code, set.stderr).toBe(0);
    const first = await corticalJson<Task>(['run', '--agent', 'builtin', '--model', KITS.builtin.model, '--project', 'tight', 'Create b.txt'], env);
    await waitState(first.id, ['succeeded', 'failed']);
    const second = await corticalJson<Task>(['run', '--agent', 'builtin', '--model', KITS.builtin.model, '--project', 'tight', 'Create c.txt'], env);
    const queued = await eventually('queued with a budget reason', async () => {
      const t = await show(second.id);
      return t.reason === 'budget_exhausted' ? t : undefined;
    }, 30_000);
    expect(queued.state).toBe('queued');
    expect(queued.message).toMatch(/tight/);
    await cortical(['tasks', 'stop', second.id], env);
  }, 200_000);

  it('guidance reaches a running claude iteration live, and the API says so', async () => {
    const write = KITS.claude.writeFileScript('guided.txt', 'guided\n');
    let held = false;
    useScript('claude', async (req) => {
      const reply = await write(req);
      if (!held && req.toolNames.length > 0) {
        held = true;
        return { ...reply, delayMs: 8000 };
      }
      return reply;
    });
    const server = providers.get('anthropic')!.server;
    const mark = server.requests.length;
    const task = await corticalJson<Task>(['run', '--agent', 'claude', '--model', KITS.claude.model, 'Create guided.txt'], env);
    await eventually('the first model request', () => Promise.resolve(server.requests.slice(mark).some((r) => r.toolNames.length > 0) ? true : undefined), 90_000);
    expect((await cortical(['tasks', 'guide', task.id, 'GUIDE-E2E-LIVE-7'], env)).code).toBe(0);
    const done = await waitState(task.id, ['succeeded', 'failed', 'cancelled']);
    expect(done.state).toBe('succeeded');
    expect(server.requests.slice(mark).some((r) => r.userTexts.some((t) => t.includes('GUIDE-E2E-LIVE-7')))).toBe(true);
    const g = await api(url, token, 'GET', `/api/v1/tasks/${task.id}/guidance`);
    expect(g.json.items[0]).toMatchObject({ text: 'GUIDE-E2E-LIVE-7', deliveryMode: 'live' });
  }, 200_000);
});
