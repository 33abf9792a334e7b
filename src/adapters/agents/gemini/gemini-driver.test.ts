/**
 * The real Gemini CLI in a bubblewrap sleeve whose network reaches only the scripted model server
 * (through the node's egress proxy: the CLI honours HTTPS_PROXY for its http://127.0.0.1 base URL).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent, AgentRun } from '../../../core/ports/agent-driver.js';
import type { Runtime, SpawnSpec } from '../../../core/ports/runtime.js';
import { BubblewrapRuntime } from '../../runtime/bubblewrap/bubblewrap-runtime.js';
import { agentCli, cliSkipReason, SKIP_NO_BWRAP, startAgentSleeveKit, type AgentSleeveKit } from '../../../../test/kit/agents/agent-sleeve-kit.js';
import { geminiKit, geminiWriteFileScript } from '../../../../test/kit/agents/gemini-script.js';
import { startModelServer, type ModelServer } from '../../../../test/kit/model-server/model-server.js';
import type { Responder } from '../../../../test/kit/model-server/model-server-types.js';
import { ProcessRuntime } from '../../runtime/process/process-runtime.js';
import { GeminiDriver } from './gemini-driver.js';

const KEY = 'gm-key-SECRET-5d1e0c7a9b';
const T = 90_000;
const bwrap = await BubblewrapRuntime.available();
const skip = !bwrap ? SKIP_NO_BWRAP : cliSkipReason('gemini');

async function drain(run: AgentRun): Promise<{ events: AgentEvent[]; exit: Awaited<AgentRun['exited']> }> {
  const events: AgentEvent[] = [];
  const timer = setTimeout(() => void run.stop(1000), T - 10_000);
  try {
    for await (const e of run.events) events.push(e);
    return { events, exit: await run.exited };
  } finally {
    clearTimeout(timer);
  }
}

const kinds = (events: readonly AgentEvent[]) => events.map((e) => e.kind);
const errorReasons = (events: readonly AgentEvent[]) => events.flatMap((e) => (e.kind === 'error' ? [e.reason] : []));
const sessions = (events: readonly AgentEvent[]) => events.flatMap((e) => (e.kind === 'session' ? [e.id] : []));

describe.skipIf(skip !== null)(`gemini driver with the real CLI${skip === null ? '' : ` [skipped: ${skip}]`}`, () => {
  let kit: AgentSleeveKit;
  let server: ModelServer;
  const specs: SpawnSpec[] = [];
  let runtime: Runtime;

  beforeAll(async () => {
    kit = startAgentSleeveKit({ sandboxed: true });
    server = await startModelServer({ protocols: geminiKit.protocols, responder: geminiWriteFileScript('hello.txt', 'hi\n') });
    runtime = { name: kit.runtime.name, sandboxed: kit.runtime.sandboxed, spawn: (spec) => (specs.push(spec), kit.runtime.spawn(spec)) };
  });
  afterAll(async () => {
    await server?.close();
    await kit?.close();
  });

  function start(driver: GeminiDriver, prompt: string, place = kit.makeWorkspace(), resumeSession: string | null = null) {
    const run = driver.startIteration({
      taskId: 'task_gemini',
      iteration: 1,
      prompt,
      guidance: [],
      workspacePath: place.workspacePath,
      homePath: place.homePath,
      env: kit.baseEnv(place.homePath),
      runtime,
      sleeve: kit.sleeve([`127.0.0.1:${server.port}`], { writablePaths: [place.homePath] }),
      model: null,
      endpoints: geminiKit.endpoints(server.url, KEY),
      resumeSession,
    });
    return { run, place };
  }

  const driver = new GeminiDriver({ bin: agentCli('gemini') ?? 'gemini' });

  it(
    'writes the file with write_file in the sleeve and reports session, tool call, file change, usage and done',
    async () => {
      server.setResponder(geminiWriteFileScript('notes/hello.txt', 'hello from gemini\n', { input: 1500, output: 80, cached: 500 }));
      const mark = specs.length;
      const { run, place } = start(driver, 'Create notes/hello.txt');
      const { events, exit } = await drain(await run);
      expect(readFileSync(join(place.workspacePath, 'notes/hello.txt'), 'utf8')).toBe('hello from gemini\n');
      expect(exit.exitCode).toBe(0);
      expect(sessions(events)).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
      expect(events).toContainEqual(expect.objectContaining({ kind: 'tool_call', name: 'write_file' }));
      expect(events).toContainEqual({ kind: 'file_change', path: 'notes/hello.txt', change: 'created' });
      expect(events.find((e) => e.kind === 'usage')).toMatchObject({ tokensIn: 3000, tokensOut: 160, cachedTokensIn: 1000, model: 'gemini-2.5-flash', reportedUsd: null });
      expect(kinds(events).at(-1)).toBe('done');
      expect(JSON.stringify(events)).not.toContain(KEY);
      // The key reached the server in Google's header; the settings are read-only in the sleeve.
      expect(server.requests.at(-1)!.headers['x-goog-api-key']).toBe(KEY);
      const spec = specs[mark]!;
      const settings = join(place.homePath, '.gemini', 'settings.json');
      expect(spec.readOnlyPaths).toContain(settings);
      expect(spec.env).toMatchObject({ HOME: place.homePath, GEMINI_API_KEY: KEY, GOOGLE_GEMINI_BASE_URL: server.url });
      expect(existsSync(settings)).toBe(true);
    },
    T,
  );

  it(
    'guide() interrupts the turn and resumes the same session with the guidance (interrupt_resume)',
    async () => {
      const inner = geminiWriteFileScript('guided.txt', 'guided\n');
      let held = false;
      const hold: Responder = async (req) => {
        const reply = await inner(req);
        if (held || req.toolNames.length === 0) return reply;
        held = true;
        return { ...reply, delayMs: 20_000 };
      };
      server.setResponder(hold);
      const mark = server.requests.length;
      const specMark = specs.length;
      const { run: started, place } = start(driver, 'Create guided.txt');
      const run = await started;
      const done = drain(run);
      const deadline = Date.now() + 60_000;
      while (server.requests.length === mark && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await expect(run.guide!('GUIDANCE-GEMINI-7: write it in lower case')).resolves.toBe('interrupt_resume');
      const { events, exit } = await done;
      expect(exit.exitCode).toBe(0);
      const guided = server.requests.slice(mark).find((r) => r.userTexts.some((t) => t.includes('GUIDANCE-GEMINI-7')));
      // Resumed, not restarted: the conversation still holds the first prompt.
      expect(guided?.userTexts.some((t) => t.includes('Create guided.txt'))).toBe(true);
      const [first, second] = specs.slice(specMark);
      const id = first!.args[first!.args.indexOf('--session-id') + 1];
      expect(second!.args.slice(-2)).toEqual(['--resume', id]);
      expect(new Set(sessions(events))).toEqual(new Set([id]));
      expect(errorReasons(events)).toEqual([]);
      expect(existsSync(join(place.workspacePath, 'guided.txt'))).toBe(true);
    },
    T,
  );

  it(
    'the next iteration resumes the previous session by id; an unknown one starts afresh',
    async () => {
      server.setResponder(geminiWriteFileScript('one.txt', '1\n'));
      const { run, place } = start(driver, 'FIRST-PROMPT: create one.txt');
      const id = sessions((await drain(await run)).events)[0]!;
      server.setResponder((req) => (req.toolNames.length === 0 ? { text: 'ok' } : { text: 'Noted.', usage: { input: 10, output: 2 } }));
      const mark = server.requests.length;
      const next = await drain(await start(driver, 'SECOND-PROMPT', place, id).run);
      expect(sessions(next.events)).toEqual([id]);
      const req = server.requests.slice(mark).find((r) => r.userTexts.some((t) => t.includes('SECOND-PROMPT')));
      expect(req?.userTexts.some((t) => t.includes('FIRST-PROMPT'))).toBe(true);
      expect(req?.assistantTurns).toBeGreaterThan(0);
      const fresh = await drain(await start(driver, 'THIRD-PROMPT', place, '00000000-0000-4000-8000-000000000000').run);
      expect(sessions(fresh.events)).not.toContain('00000000-0000-4000-8000-000000000000');
      expect(kinds(fresh.events)).toContain('done');
    },
    T * 2,
  );

  it(
    'a per-minute rate limit gives up after maxAttempts and is reported as rate_limited',
    async () => {
      server.setResponder((req) => (req.toolNames.length === 0 ? { text: 'ok' } : { error: { kind: 'rate_limit', retryAfterS: 1, message: 'Resource has been exhausted' } }));
      const mark = server.requests.length;
      const t0 = Date.now();
      const { events } = await drain(await start(new GeminiDriver({ bin: agentCli('gemini') ?? 'gemini', maxAttempts: 1 }), 'Create hello.txt').run);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(server.requests.slice(mark).filter((r) => r.toolNames.length > 0)).toHaveLength(1);
      expect(errorReasons(events)).toEqual(['rate_limited']);
      expect(kinds(events)).not.toContain('done');
    },
    T,
  );

  it(
    'a 401 is reported as auth_failed without the key',
    async () => {
      server.setResponder(() => ({ error: { kind: 'auth', message: 'API key not valid. Please pass a valid API key.' } }));
      const { events } = await drain(await start(driver, 'Create hello.txt').run);
      expect(errorReasons(events)).toEqual(['auth_failed']);
      expect(JSON.stringify(events)).not.toContain(KEY);
    },
    T,
  );
});

describe('gemini driver without the CLI', () => {
  const input = { taskId: 't', iteration: 1, guidance: [], workspacePath: '/nonexistent', env: {}, runtime: new ProcessRuntime() };

  it('refuses an empty prompt and a run without a HOME for its settings', async () => {
    const driver = new GeminiDriver({ bin: '/nonexistent/gemini' });
    await expect(driver.startIteration({ ...input, prompt: '  ', homePath: '/nonexistent' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(driver.startIteration({ ...input, prompt: 'go' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('homePath') });
  });

  it('detect() says null for a missing CLI and declares interrupt_resume guidance', async () => {
    const driver = new GeminiDriver({ bin: '/nonexistent/gemini' });
    expect(await driver.detect({ PATH: '/usr/bin:/bin' })).toBeNull();
    expect(driver.guidance).toBe('interrupt_resume');
  });
});
