/**
 * The real OpenCode CLI in a bubblewrap sleeve whose network reaches only the scripted model
 * server (through the node's egress proxy: OpenCode's fetch honours HTTP_PROXY, loopback too).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { BubblewrapRuntime } from '../../runtime/bubblewrap/bubblewrap-runtime.js';
import { agentCli, cliSkipReason, SKIP_NO_BWRAP, startAgentSleeveKit, type AgentSleeveKit } from '../../../../test/kit/agents/agent-sleeve-kit.js';
import { opencodeKit, opencodeWriteFileScript } from '../../../../test/kit/agents/opencode-script.js';
import { startModelServer, type ModelServer } from '../../../../test/kit/model-server/model-server.js';
import type { Responder } from '../../../../test/kit/model-server/model-server-types.js';
import { OpencodeDriver } from './opencode-driver.js';

const KEY = 'sk-opencode-SECRET-4d2b8e6f1a';
const RUN_MS = 90_000;
const bwrap = await BubblewrapRuntime.available();
const skip = !bwrap ? SKIP_NO_BWRAP : cliSkipReason('opencode');

async function drain(run: AgentRun): Promise<{ events: AgentEvent[]; exit: Awaited<AgentRun['exited']> }> {
  const events: AgentEvent[] = [];
  const timer = setTimeout(() => void run.stop(1000), RUN_MS);
  try {
    for await (const e of run.events) events.push(e);
    return { events, exit: await run.exited };
  } finally {
    clearTimeout(timer);
  }
}

const errorReasons = (events: readonly AgentEvent[]): string[] => events.flatMap((e) => (e.kind === 'error' ? [e.reason] : []));

describe.skipIf(skip !== null)(`opencode driver with the real CLI in a sleeve${skip === null ? '' : ` [skipped: ${skip}]`}`, () => {
  let sleeves: AgentSleeveKit;
  let server: ModelServer;
  const driver = new OpencodeDriver({ bin: agentCli('opencode') ?? 'opencode' });

  beforeAll(async () => {
    sleeves = startAgentSleeveKit({ sandboxed: true });
    server = await startModelServer({ protocols: opencodeKit.protocols, responder: opencodeWriteFileScript('hello.txt', 'hello\n') });
  });
  afterAll(async () => {
    await server?.close();
    await sleeves?.close();
  });

  function input(prompt: string, extra: Partial<AgentIterationInput> = {}): AgentIterationInput & { homePath: string } {
    const { workspacePath, homePath } = sleeves.makeWorkspace();
    return {
      taskId: 'task_opencode',
      iteration: 1,
      prompt,
      guidance: [],
      workspacePath,
      homePath,
      env: sleeves.baseEnv(homePath),
      runtime: sleeves.runtime,
      sleeve: sleeves.sleeve([`127.0.0.1:${server.port}`], { writablePaths: [homePath] }),
      model: null,
      endpoints: opencodeKit.endpoints(server.url, KEY),
      ...extra,
    };
  }

  it(
    'writes the file the model asks for, reports session, tool call, file change, usage and done, and keeps the key out of events and files',
    async () => {
      server.setResponder(opencodeWriteFileScript('hello.txt', 'hello from the model\n', { input: 1200, output: 300 }));
      const mark = server.requests.length;
      const inp = input('Create hello.txt with "hello from the model"');
      // A repository's own config cannot point the node's provider elsewhere.
      writeFileSync(join(inp.workspacePath, 'opencode.json'), JSON.stringify({ provider: { local: { options: { baseURL: 'http://127.0.0.1:9/v1' } } } }));
      const { events, exit } = await drain(await driver.startIteration(inp));
      expect(exit.exitCode, JSON.stringify(events.slice(-5))).toBe(0);
      expect(readFileSync(join(inp.workspacePath, 'hello.txt'), 'utf8')).toBe('hello from the model\n');
      const kinds = events.map((e) => e.kind);
      expect(kinds[0]).toBe('session');
      expect(events).toContainEqual(expect.objectContaining({ kind: 'tool_call', name: 'write' }));
      expect(events).toContainEqual({ kind: 'file_change', path: 'hello.txt', change: 'created' });
      const usage = events.filter((e): e is Extract<AgentEvent, { kind: 'usage' }> => e.kind === 'usage').at(-1);
      expect(usage).toMatchObject({ tokensIn: 2400, tokensOut: 600, model: 'gpt-4.1' });
      expect(usage?.usd ?? 0).toBeGreaterThan(0);
      expect(kinds.at(-1)).toBe('done');
      expect(JSON.stringify(events)).not.toContain(KEY);
      // The model got the prompt as written (stdin), the key as bearer token, and the default model.
      const main = server.requests.slice(mark).filter((r) => r.toolNames.length > 0);
      expect(main[0]?.userTexts).toContain('Create hello.txt with "hello from the model"');
      expect(main[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(main[0]?.model).toBe('gpt-4.1');
      expect(readFileSync(join(inp.homePath, '.config', 'opencode', 'opencode.json'), 'utf8')).not.toContain(KEY);
      // Offline: no npm install of OpenCode's plugin package was tried.
      expect(existsSync(join(inp.homePath, '.npm'))).toBe(false);
      expect(server.unmatched).toEqual([]);
    },
    RUN_MS + 10_000,
  );

  it(
    'a scripted 429 ends with a fatal rate_limited error quickly (OpenCode honours retry-after: 0)',
    async () => {
      server.setResponder(() => ({ error: { kind: 'rate_limit', retryAfterS: 0, message: 'slow down' } }));
      const started = Date.now();
      const { events, exit } = await drain(await driver.startIteration(input('Create hello.txt')));
      expect(errorReasons(events)).toEqual(['rate_limited']);
      expect(events.find((e) => e.kind === 'error')).toMatchObject({ fatal: true, retryAfterMs: 0 });
      expect(events.some((e) => e.kind === 'done')).toBe(false);
      expect(exit.exitCode).toBe(1);
      expect(Date.now() - started).toBeLessThan(45_000);
    },
    RUN_MS + 10_000,
  );

  it(
    'a scripted 401 ends with a fatal auth_failed error without the key',
    async () => {
      server.setResponder(() => ({ error: { kind: 'auth', message: 'invalid api key' } }));
      const { events, exit } = await drain(await driver.startIteration(input('Create hello.txt')));
      expect(errorReasons(events)).toEqual(['auth_failed']);
      expect(events.some((e) => e.kind === 'done')).toBe(false);
      expect(exit.exitCode).toBe(1);
      expect(JSON.stringify(events)).not.toContain(KEY);
    },
    RUN_MS + 10_000,
  );

  it(
    'guide() interrupts the turn and resumes the session with the guidance (interrupt_resume)',
    async () => {
      const inner = opencodeWriteFileScript('guided.txt', 'guided\n');
      let held = false;
      const holdFirst: Responder = async (req) => {
        const reply = await inner(req);
        if (held || req.toolNames.length === 0) return reply;
        held = true;
        return { ...reply, delayMs: 8000 };
      };
      server.setResponder(holdFirst);
      const mark = server.requests.length;
      const inp = input('Create guided.txt');
      const run = await driver.startIteration(inp);
      const done = drain(run);
      const deadline = Date.now() + 60_000;
      while (!server.requests.slice(mark).some((r) => r.toolNames.length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await expect(run.guide!('GUIDANCE-OPENCODE-42')).resolves.toBe('interrupt_resume');
      const { events, exit } = await done;
      const later = server.requests.slice(mark).filter((r) => r.userTexts.some((t) => t.includes('GUIDANCE-OPENCODE-42')));
      expect(later.length).toBeGreaterThan(0);
      // The resumed session still holds the task's prompt.
      expect(later[0]?.userTexts).toContain('Create guided.txt');
      expect(readFileSync(join(inp.workspacePath, 'guided.txt'), 'utf8')).toBe('guided\n');
      expect(exit.exitCode).toBe(0);
      expect(events.filter((e) => e.kind === 'done')).toHaveLength(1);
      expect(new Set(events.flatMap((e) => (e.kind === 'session' ? [e.id] : []))).size).toBe(1);
    },
    RUN_MS * 2,
  );

  it(
    'resumeSession continues the previous iteration’s session',
    async () => {
      server.setResponder(opencodeWriteFileScript('one.txt', '1\n'));
      const first = input('Create one.txt');
      const r1 = await drain(await driver.startIteration(first));
      const session = r1.events.find((e) => e.kind === 'session');
      expect(session?.kind).toBe('session');
      const mark = server.requests.length;
      const r2 = await drain(
        await driver.startIteration({ ...first, iteration: 2, prompt: 'Now check one.txt', resumeSession: session?.kind === 'session' ? session.id : null }),
      );
      expect(r2.exit.exitCode).toBe(0);
      const texts = server.requests.slice(mark).flatMap((r) => r.userTexts);
      expect(texts).toContain('Create one.txt');
      expect(texts).toContain('Now check one.txt');
      expect(r2.events).toContainEqual(session);
    },
    RUN_MS * 2,
  );

  it('detect() reports the installed version', async () => {
    expect(await driver.detect(sleeves.baseEnv('/nonexistent'))).toEqual({ version: '1.18.33' });
    expect(await new OpencodeDriver({ bin: '/nonexistent/opencode' }).detect(sleeves.baseEnv('/nonexistent'))).toBeNull();
  }, 30_000);
});
