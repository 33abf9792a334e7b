/**
 * The Codex driver with the real CLI (tools/agent-clis) in a bubblewrap sleeve whose network
 * reaches only the scripted model server (through the sleeve's egress proxy).
 */
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { AgentEvent, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { BubblewrapRuntime } from '../../runtime/bubblewrap/bubblewrap-runtime.js';
import { agentCli, cliSkipReason, SKIP_NO_BWRAP, startAgentSleeveKit, type AgentSleeveKit } from '../../../../test/kit/agents/agent-sleeve-kit.js';
import { codexKit, codexWriteCall, codexWriteFileScript } from '../../../../test/kit/agents/codex-script.js';
import { startModelServer, type ModelServer } from '../../../../test/kit/model-server/model-server.js';
import type { Responder } from '../../../../test/kit/model-server/model-server-types.js';
import { codexArgs, CodexDriver } from './codex-driver.js';

const KEY = 'sk-codex-SECRET-9d2e71aa40';
const T = 120_000;
const bwrap = await BubblewrapRuntime.available();
const skip = !bwrap ? SKIP_NO_BWRAP : cliSkipReason('codex');

async function drain(run: AgentRun): Promise<{ events: AgentEvent[]; exit: Awaited<AgentRun['exited']> }> {
  const events: AgentEvent[] = [];
  const timer = setTimeout(() => void run.stop(1000), T);
  try {
    for await (const e of run.events) events.push(e);
    return { events, exit: await run.exited };
  } finally {
    clearTimeout(timer);
  }
}

const ofKind = <K extends AgentEvent['kind']>(events: readonly AgentEvent[], kind: K) => events.filter((e): e is Extract<AgentEvent, { kind: K }> => e.kind === kind);

describe('codexArgs', () => {
  it('starts a new thread, or resumes one, with the prompt after --', () => {
    expect(codexArgs('gpt-5.5', '-not-a-flag', null)).toEqual(['exec', '--json', '--skip-git-repo-check', '--strict-config', '-m', 'gpt-5.5', '--', '-not-a-flag']);
    expect(codexArgs('m', 'go on', 'T1')).toEqual(['exec', 'resume', '--json', '--skip-git-repo-check', '--strict-config', '-m', 'm', '--', 'T1', 'go on']);
  });
});

describe.skipIf(skip !== null)(`CodexDriver with the real CLI${skip === null ? '' : ` [skipped: ${skip}]`}`, () => {
  let kit: AgentSleeveKit;
  let server: ModelServer;
  let driver: CodexDriver;
  beforeAll(async () => {
    kit = startAgentSleeveKit({ sandboxed: true });
    server = await startModelServer({ protocols: codexKit.protocols, responder: codexWriteFileScript('hello.txt', 'hello\n') });
    driver = codexKit.makeDriver(agentCli('codex') ?? 'codex') as CodexDriver;
  });
  afterAll(async () => {
    await server?.close();
    await kit?.close();
  });

  function input(prompt: string, extra: Partial<AgentIterationInput> & { place?: { workspacePath: string; homePath: string } } = {}): AgentIterationInput {
    const place = extra.place ?? kit.makeWorkspace();
    return {
      taskId: 'task_codex',
      iteration: 1,
      prompt,
      guidance: [],
      workspacePath: place.workspacePath,
      homePath: place.homePath,
      env: kit.baseEnv(place.homePath),
      runtime: kit.runtime,
      sleeve: kit.sleeve([`127.0.0.1:${server.port}`], { writablePaths: [place.homePath] }),
      model: codexKit.model,
      endpoints: codexKit.endpoints(server.url, KEY),
      ...extra,
    };
  }

  it(
    'writes a file with apply_patch and reports session, tool call, file change, usage and done; the key stays out of events',
    async () => {
      server.setResponder(codexWriteFileScript('notes/hello.txt', 'hello from codex\n', { input: 1200, output: 300, cached: 200 }));
      const mark = server.requests.length;
      const inp = input('Create notes/hello.txt');
      const { events, exit } = await drain(await driver.startIteration(inp));
      expect(exit.exitCode).toBe(0);
      expect(readFileSync(join(inp.workspacePath, 'notes/hello.txt'), 'utf8')).toBe('hello from codex\n');
      expect(events.map((e) => e.kind).filter((k) => k !== 'log')).toEqual(['session', 'tool_call', 'tool_result', 'file_change', 'message', 'usage', 'done']);
      expect(ofKind(events, 'file_change')).toEqual([{ kind: 'file_change', path: 'notes/hello.txt', change: 'created' }]);
      expect(ofKind(events, 'usage')).toEqual([{ kind: 'usage', tokensIn: 2400, tokensOut: 600, cachedTokensIn: 400, reasoningTokens: 0, model: 'gpt-5.5', usd: 0.00855, reportedUsd: null, pricedUsd: 0.00855 }]);
      expect(JSON.stringify(events)).not.toContain(KEY);
      const seen = server.requests.slice(mark);
      expect(seen.every((r) => r.headers.authorization === `Bearer ${KEY}` && r.model === 'gpt-5.5' && r.path === '/v1/responses')).toBe(true);
      expect(seen[0]!.toolNames).toEqual(expect.arrayContaining(['exec_command', 'apply_patch']));
      expect(seen[0]!.toolNames).not.toContain('web_search');
      expect(existsSync(join(inp.homePath!, '.codex', 'config.toml'))).toBe(true);
    },
    T,
  );

  it(
    'runs shell commands (exec_command) as tool calls with results; its config.toml is read-only for them',
    async () => {
      const inp = input('Write out/shell.txt');
      const config = join(inp.homePath!, '.codex', 'config.toml');
      const responder: Responder = (req) => {
        if (req.toolResults.length === 0) return { toolCalls: [codexWriteCall({ ...req, toolNames: ['exec_command'] }, 'out/shell.txt', 'from the shell')] };
        if (req.toolResults.length === 1) return { toolCalls: [{ name: 'exec_command', input: { cmd: `test -w ${config} && echo WRITABLE; echo tampered >> ${config} || echo WRITE-REFUSED` } }] };
        return { text: 'done', usage: { input: 10, output: 1 } };
      };
      server.setResponder(responder);
      const { events, exit } = await drain(await driver.startIteration(inp));
      expect(exit.exitCode).toBe(0);
      expect(readFileSync(join(inp.workspacePath, 'out/shell.txt'), 'utf8')).toBe('from the shell');
      expect(ofKind(events, 'tool_call').map((e) => e.name)).toEqual(['shell', 'shell']);
      const results = ofKind(events, 'tool_result');
      expect(results.map((r) => r.ok)).toEqual([true, true]);
      expect(results[1]!.output).toContain('WRITE-REFUSED');
      expect(results[1]!.output).not.toContain('WRITABLE');
      expect(readFileSync(config, 'utf8')).not.toContain('tampered');
    },
    T,
  );

  it(
    'a 429 fails the turn at once (no retries) as rate_limited',
    async () => {
      server.setResponder(() => ({ error: { kind: 'rate_limit', retryAfterS: 0, message: 'slow down' } }));
      const mark = server.requests.length;
      const { events, exit } = await drain(await driver.startIteration(input('Create hello.txt')));
      expect(ofKind(events, 'error')).toEqual([{ kind: 'error', reason: 'rate_limited', message: expect.stringContaining('429'), fatal: true }]);
      expect(events.some((e) => e.kind === 'done')).toBe(false);
      expect(exit.exitCode).toBe(1);
      expect(server.requests.length - mark).toBe(1);
    },
    T,
  );

  it(
    'a 401 is auth_failed, without the key in any event',
    async () => {
      server.setResponder(() => ({ error: { kind: 'auth', message: 'Incorrect API key provided' } }));
      const { events, exit } = await drain(await driver.startIteration(input('Create hello.txt')));
      expect(ofKind(events, 'error').map((e) => [e.reason, e.fatal])).toEqual([['auth_failed', true]]);
      expect(JSON.stringify(events)).not.toContain(KEY);
      expect(exit.exitCode).toBe(1);
    },
    T,
  );

  it(
    'an endpoint that cannot be reached fails the turn at once instead of waiting for the network',
    async () => {
      // A port that is held (so no parallel test can take it) but resets every connection: a
      // closed-then-freed port could be reused by another test's server meanwhile.
      const refusing = createServer((socket) => socket.destroy());
      await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
      const port = (refusing.address() as AddressInfo).port;
      onTestFinished(() => new Promise<void>((r) => refusing.close(() => r())));
      const started = Date.now();
      const place = kit.makeWorkspace();
      const run = await driver.startIteration({
        ...input('Create hello.txt', { place }),
        endpoints: codexKit.endpoints(`http://127.0.0.1:${port}`, KEY),
        sleeve: kit.sleeve([`127.0.0.1:${port}`], { writablePaths: [place.homePath] }),
      });
      const { events, exit } = await drain(run);
      expect(ofKind(events, 'error').map((e) => [e.reason, e.fatal])).toEqual([['agent_error', true]]);
      expect(exit.exitCode).toBe(1);
      expect(Date.now() - started).toBeLessThan(30_000);
    },
    T,
  );

  it(
    'guide() interrupts the busy turn and resumes the same thread with the guidance (interrupt_resume)',
    async () => {
      const inner = codexWriteFileScript('guided.txt', 'guided\n');
      let first = true;
      server.setResponder(async (req) => {
        const reply = await inner(req);
        if (!first) return reply;
        first = false;
        return { ...reply, delayMs: 60_000 };
      });
      const mark = server.requests.length;
      const inp = input('Create guided.txt');
      const run = await driver.startIteration(inp);
      const done = drain(run);
      const deadline = Date.now() + 60_000;
      while (server.requests.length === mark && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await expect(run.guide!('GUIDANCE-CODEX-42')).resolves.toBe('interrupt_resume');
      const { events, exit } = await done;
      expect(exit.exitCode).toBe(0);
      expect(readFileSync(join(inp.workspacePath, 'guided.txt'), 'utf8')).toBe('guided\n');
      const seen = server.requests.slice(mark);
      const guided = seen.filter((r) => r.userTexts.some((t) => t.includes('GUIDANCE-CODEX-42')));
      expect(guided.length).toBeGreaterThan(0);
      expect(guided[0]!.userTexts).toContain('Create guided.txt');
      const threads = new Set(seen.map((r) => r.headers['thread-id']));
      expect(threads.size).toBe(1);
      expect(ofKind(events, 'session')).toEqual([{ kind: 'session', id: [...threads][0] }]);
      expect(ofKind(events, 'done')).toHaveLength(1);
    },
    T,
  );

  it(
    'guidance before a turn started starts over with the prompt and the guidance',
    async () => {
      server.setResponder(codexWriteFileScript('early.txt', 'early\n'));
      const mark = server.requests.length;
      const inp = input('Create early.txt');
      const run = await driver.startIteration(inp);
      const guided = run.guide!('GUIDANCE-EARLY');
      const { exit } = await drain(run);
      await expect(guided).resolves.toBe('interrupt_resume');
      expect(exit.exitCode).toBe(0);
      expect(readFileSync(join(inp.workspacePath, 'early.txt'), 'utf8')).toBe('early\n');
      // Usually Codex had not started its turn (one message with both); under load it may have.
      const asked = server.requests.slice(mark).map((r) => r.userTexts.join('\n'));
      expect(asked.some((t) => t.includes('Create early.txt') && t.includes('GUIDANCE-EARLY')), JSON.stringify(asked)).toBe(true);
    },
    T,
  );

  it(
    'resumes the previous iteration’s thread and counts only the new turn’s usage',
    async () => {
      server.setResponder(codexWriteFileScript('one.txt', '1\n', { input: 1000, output: 100 }));
      const place = kit.makeWorkspace();
      const firstRun = await drain(await driver.startIteration(input('Create one.txt', { place })));
      const thread = ofKind(firstRun.events, 'session')[0]!.id;
      server.setResponder((req) => (req.toolNames.length === 0 ? { text: 'ok' } : { text: 'continued', usage: { input: 3000, output: 10 } }));
      const mark = server.requests.length;
      const second = await drain(await driver.startIteration(input('Now continue', { place, iteration: 2, resumeSession: thread })));
      expect(second.exit.exitCode).toBe(0);
      expect(server.requests.slice(mark).map((r) => r.headers['thread-id'])).toEqual([thread]);
      expect(server.requests.at(-1)!.userTexts).toEqual(expect.arrayContaining(['Create one.txt', 'Now continue']));
      expect(ofKind(second.events, 'usage').at(-1)).toMatchObject({ tokensIn: 3000, tokensOut: 10 });
      expect(ofKind(second.events, 'session')).toEqual([{ kind: 'session', id: thread }]);
    },
    T,
  );

  it(
    'starts a new thread when the session to resume is not one of this CODEX_HOME',
    async () => {
      server.setResponder(codexWriteFileScript('fresh.txt', 'fresh\n'));
      const inp = input('Create fresh.txt', { resumeSession: 'a-claude-session-id' });
      const { events, exit } = await drain(await driver.startIteration(inp));
      expect(exit.exitCode).toBe(0);
      expect(readFileSync(join(inp.workspacePath, 'fresh.txt'), 'utf8')).toBe('fresh\n');
      expect(ofKind(events, 'session')[0]!.id).not.toBe('a-claude-session-id');
    },
    T,
  );

  it(
    'uses the endpoint’s default model, else gpt-5',
    async () => {
      server.setResponder(() => ({ text: 'hi', usage: { input: 1, output: 1 } }));
      const mark = server.requests.length;
      const endpoints = codexKit.endpoints(server.url, KEY);
      await drain(await driver.startIteration(input('hi', { model: null, endpoints: { ...endpoints, openai: { ...endpoints.openai!, defaultModel: 'gpt-5-mini' } } })));
      await drain(await driver.startIteration(input('hi', { model: null, endpoints: { ...endpoints, openai: { ...endpoints.openai!, defaultModel: null } } })));
      expect(server.requests.slice(mark).map((r) => r.model)).toEqual(['gpt-5-mini', 'gpt-5']);
    },
    T,
  );

  it('detects the installed version; a missing binary is null', async () => {
    expect(await driver.detect(kit.baseEnv(kit.makeWorkspace().homePath))).toEqual({ version: '0.169.0' });
    expect(await new CodexDriver({ bin: '/nonexistent/codex' }).detect(kit.baseEnv('/nonexistent'))).toBeNull();
  });
});
