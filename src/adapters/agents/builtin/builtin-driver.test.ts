/**
 * The built-in agent end to end: the real program in a real bubblewrap sleeve (network limited
 * to the scripted model server), tool calls checked by the policy.
 */
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent, AgentRun } from '../../../core/ports/agent-driver.js';
import { isCorticalError } from '../../../core/errors.js';
import { NO_ENDPOINTS } from '../../../core/model-endpoints.js';
import type { Runtime } from '../../../core/ports/runtime.js';
import { BubblewrapRuntime } from '../../runtime/bubblewrap/bubblewrap-runtime.js';
import { startAgentSleeveKit, SKIP_NO_BWRAP, type AgentSleeveKit } from '../../../../test/kit/agents/agent-sleeve-kit.js';
import { builtinKit } from '../../../../test/kit/agents/builtin-script.js';
import { startModelServer, type ModelServer } from '../../../../test/kit/model-server/model-server.js';
import type { NormalizedRequest, ScriptedReply, ScriptedToolCall } from '../../../../test/kit/model-server/model-server-types.js';
import { BuiltinDriver, type BuiltinDriverOptions } from './builtin-driver.js';

const KEY = 'sk-builtin-SECRET-93ab27c4d1';
const T = 90_000;
const bwrap = await BubblewrapRuntime.available();

async function drain(run: AgentRun): Promise<{ events: AgentEvent[]; exitCode: number | null }> {
  const events: AgentEvent[] = [];
  const timer = setTimeout(() => void run.stop(1000), T - 10_000);
  for await (const e of run.events) events.push(e);
  clearTimeout(timer);
  return { events, exitCode: (await run.exited).exitCode };
}

/** Calls the tools in `calls` one per model turn, then ends with a text. */
function callsThenText(calls: readonly ScriptedToolCall[]): (req: NormalizedRequest) => ScriptedReply {
  return (req) => {
    const next = calls[req.toolResults.length];
    return next !== undefined ? { toolCalls: [next], usage: { input: 100, output: 10 } } : { text: 'finished', usage: { input: 120, output: 5 } };
  };
}

describe.skipIf(!bwrap)(`builtin driver in a bubblewrap sleeve${bwrap ? '' : ` [skipped: ${SKIP_NO_BWRAP}]`}`, () => {
  let sleeves: AgentSleeveKit;
  let server: ModelServer;

  beforeAll(async () => {
    sleeves = startAgentSleeveKit({ sandboxed: true });
    server = await startModelServer({ protocols: builtinKit.protocols, responder: builtinKit.writeFileScript('x.txt', 'x') });
  });
  afterAll(async () => {
    await server?.close();
    await sleeves?.close();
  });

  async function start(options: BuiltinDriverOptions, prompt = 'Do the task') {
    const { workspacePath, homePath } = sleeves.makeWorkspace();
    const run = await new BuiltinDriver({ limits: { maxRetries: 0 }, ...options }).startIteration({
      taskId: 'task_builtin',
      iteration: 1,
      prompt,
      guidance: [],
      workspacePath,
      homePath,
      env: sleeves.baseEnv(homePath),
      runtime: sleeves.runtime,
      sleeve: sleeves.sleeve([`127.0.0.1:${server.port}`], { writablePaths: [homePath] }),
      model: null,
      endpoints: builtinKit.endpoints(server.url, KEY),
    });
    return { run, workspacePath, homePath };
  }

  it(
    'refuses writes outside the workspace and denied commands, tells the model, and goes on to done',
    async () => {
      server.setResponder(
        callsThenText([
          { id: 'c1', name: 'write_file', input: { path: '/etc/cortical-test', content: 'no' } },
          { id: 'c2', name: 'write_file', input: { path: '../escape.txt', content: 'no' } },
          { id: 'c3', name: 'run_command', input: { command: 'git push origin main' } },
          { id: 'c4', name: 'run_command', input: { command: 'npm install left-pad' } },
          { id: 'c5', name: 'run_command', input: { command: 'echo hi > ok.txt && cat ok.txt' } },
        ]),
      );
      const mark = server.requests.length;
      const { run, workspacePath } = await start({ toolPolicy: { deny: ['git push*'] } });
      const { events, exitCode } = await drain(run);
      const results = events.filter((e): e is Extract<AgentEvent, { kind: 'tool_result' }> => e.kind === 'tool_result');
      expect(results.map((r) => [r.id, r.ok])).toEqual([
        ['c1', false],
        ['c2', false],
        ['c3', false],
        ['c4', false],
        ['c5', true],
      ]);
      expect(results[0]!.output).toMatch(/^denied by policy: path "\/etc\/cortical-test" resolves to \/etc\/cortical-test, outside the allowed roots/);
      expect(results[1]!.output).toMatch(/^denied by policy: path "\.\.\/escape\.txt" resolves to .*\/escape\.txt, outside/);
      expect(results[2]!.output).toBe('denied by policy: matches deny pattern "git push*"');
      expect(results[3]!.output).toMatch(/^denied by policy: run_command is T2 \(installs packages\), above the policy's maximum T1/);
      expect(results[4]!.output).toBe('exit code 0\nhi');
      expect(events.filter((e) => e.kind === 'log' && e.text.startsWith('policy denied: '))).toHaveLength(4);
      expect(existsSync(join(workspacePath, '..', 'escape.txt'))).toBe(false);
      expect(readFileSync(join(workspacePath, 'ok.txt'), 'utf8')).toBe('hi\n');
      expect(events).toContainEqual({ kind: 'file_change', path: 'ok.txt', change: 'created' } satisfies AgentEvent);
      expect(events.at(-1)).toEqual({ kind: 'done', summary: 'finished' });
      expect(exitCode).toBe(0);
      // The model saw each refusal as a tool result in its next request.
      const seen = server.requests.slice(mark);
      expect(seen).toHaveLength(6);
      expect(seen[1]!.toolResults[0]).toContain('denied by policy: path "/etc/cortical-test"');
      expect(seen[3]!.toolResults[2]).toBe('denied by policy: matches deny pattern "git push*"');
      const usage = events.filter((e): e is Extract<AgentEvent, { kind: 'usage' }> => e.kind === 'usage');
      expect(usage).toHaveLength(6);
      expect(usage.at(-1)).toMatchObject({ tokensIn: 620, tokensOut: 55, usd: 0, pricedUsd: null, reportedUsd: null, model: builtinKit.model });
      expect(JSON.stringify(events)).not.toContain(KEY);
    },
    T,
  );

  it(
    'reads, edits, lists and searches files; a symbolic link out of the workspace is refused',
    async () => {
      server.setResponder(
        callsThenText([
          { id: 'r1', name: 'read_file', input: { path: 'notes.md' } },
          { id: 'r2', name: 'edit_file', input: { path: 'notes.md', old_text: 'beta', new_text: 'gamma' } },
          { id: 'r3', name: 'search', input: { pattern: 'gam+a' } },
          { id: 'r4', name: 'list_files', input: { path: '.', recursive: true } },
          { id: 'r5', name: 'read_file', input: { path: 'outside/hostname' } },
          { id: 'r6', name: 'run_command', input: { command: 'printenv CORTICAL_BUILTIN_API_KEY; echo "key:$CORTICAL_BUILTIN_API_KEY"' } },
        ]),
      );
      const { workspacePath, homePath } = sleeves.makeWorkspace();
      writeFileSync(join(workspacePath, 'notes.md'), 'alpha\nbeta\n');
      symlinkSync('/etc', join(workspacePath, 'outside'));
      const run = await new BuiltinDriver({ limits: { maxRetries: 0 } }).startIteration({
        taskId: 'task_builtin',
        iteration: 1,
        prompt: 'Edit notes',
        guidance: [],
        workspacePath,
        homePath,
        env: sleeves.baseEnv(homePath),
        runtime: sleeves.runtime,
        sleeve: sleeves.sleeve([`127.0.0.1:${server.port}`], { writablePaths: [homePath] }),
        endpoints: builtinKit.endpoints(server.url, KEY),
      });
      const { events, exitCode } = await drain(run);
      const out = Object.fromEntries(events.flatMap((e) => (e.kind === 'tool_result' ? [[e.id, e]] : [])));
      expect(out.r1).toMatchObject({ ok: true, output: '     1\talpha\n     2\tbeta' });
      expect(out.r2).toMatchObject({ ok: true });
      expect(readFileSync(join(workspacePath, 'notes.md'), 'utf8')).toBe('alpha\ngamma\n');
      expect(out.r3).toMatchObject({ ok: true, output: 'notes.md:2: gamma' });
      expect(out.r4).toMatchObject({ ok: true, output: 'notes.md\noutside' });
      expect(out.r5).toMatchObject({ ok: false });
      expect(out.r5!.output).toContain('symbolic link');
      expect(out.r6).toMatchObject({ ok: true, output: 'exit code 0\nkey:' });
      expect(events).toContainEqual({ kind: 'file_change', path: 'notes.md', change: 'modified' } satisfies AgentEvent);
      expect(exitCode).toBe(0);
    },
    T,
  );

  it(
    'guidance written while the model thinks reaches it as a user message',
    async () => {
      let first = true;
      server.setResponder((req) => {
        const reply = builtinKit.writeFileScript('g.txt', 'g\n')(req) as ScriptedReply;
        if (!first) return reply;
        first = false;
        return { ...reply, delayMs: 1500 };
      });
      const mark = server.requests.length;
      const { run } = await start({});
      const draining = drain(run);
      while (server.requests.length === mark) await new Promise((r) => setTimeout(r, 50));
      await expect(run.guide!('USE-TABS-PLEASE')).resolves.toBe('live');
      const { events } = await draining;
      const later = server.requests.slice(mark + 1);
      expect(later.some((r) => r.userTexts.includes('USE-TABS-PLEASE'))).toBe(true);
      expect(server.requests[mark]!.userTexts).not.toContain('USE-TABS-PLEASE');
      expect(events).toContainEqual({ kind: 'log', stream: 'stdout', text: 'guidance received: USE-TABS-PLEASE' });
      const err: unknown = await run.guide!('too late').catch((e: unknown) => e);
      expect(isCorticalError(err) && err.code).toBe('CONFLICT');
    },
    T,
  );

  it(
    '429 is rate_limited with the Retry-After hint, 401 auth_failed; the key never shows',
    async () => {
      server.setResponder(() => ({ error: { kind: 'rate_limit', retryAfterS: 7, message: 'slow down' } }));
      const limited = await drain((await start({})).run);
      expect(limited.events.filter((e) => e.kind === 'error')).toEqual([
        { kind: 'error', reason: 'rate_limited', message: 'model endpoint answered HTTP 429: slow down', fatal: true, retryAfterMs: 7000 },
      ]);
      expect(limited.exitCode).toBe(1);
      server.setResponder(() => ({ error: { kind: 'auth', message: `bad key ${KEY}` } }));
      const denied = await drain((await start({})).run);
      expect(denied.events.filter((e) => e.kind === 'error').map((e) => e.kind === 'error' && e.reason)).toEqual(['auth_failed']);
      expect(JSON.stringify(denied.events)).not.toContain(KEY);
      expect(denied.events.some((e) => e.kind === 'done')).toBe(false);
    },
    T,
  );

  it('retries a 429 before giving up', async () => {
    let n = 0;
    server.setResponder((req) => {
      n += 1;
      return n === 1 ? { error: { kind: 'rate_limit', retryAfterS: 0 } } : builtinKit.writeFileScript('r.txt', 'r')(req);
    });
    const { run, workspacePath } = await start({ limits: { maxRetries: 2 } });
    const { events, exitCode } = await drain(run);
    expect(events.some((e) => e.kind === 'log' && e.text.startsWith('model call failed (attempt 1), retrying in 0 ms'))).toBe(true);
    expect(events.some((e) => e.kind === 'error')).toBe(false);
    expect(readFileSync(join(workspacePath, 'r.txt'), 'utf8')).toBe('r');
    expect(exitCode).toBe(0);
  }, T);
});

describe('BuiltinDriver without a sleeve', () => {
  it('reports its version and refuses to start without an endpoint or with a bad policy', async () => {
    const driver = new BuiltinDriver();
    await expect(driver.detect()).resolves.toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown as string });
    const err: unknown = await driver
      .startIteration({ taskId: 't', iteration: 1, prompt: 'x', guidance: [], workspacePath: '/nonexistent', env: {}, runtime: sleevesUnused(), endpoints: NO_ENDPOINTS })
      .catch((e: unknown) => e);
    expect(isCorticalError(err) && err.code).toBe('VALIDATION_FAILED');
    expect(() => new BuiltinDriver({ toolPolicy: { deny: ['/(/'] } })).toThrow(/invalid tool policy/);
  });
});

function sleevesUnused(): Runtime {
  return {
    name: 'none',
    sandboxed: false,
    spawn: () => Promise.reject(new Error('must not spawn')),
  };
}
