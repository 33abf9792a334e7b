/**
 * The claude driver with the real Claude Code CLI in a bubblewrap sleeve (network: only the
 * scripted model server, through the node's egress proxy).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { BubblewrapRuntime } from '../../runtime/bubblewrap/bubblewrap-runtime.js';
import { agentCli, cliSkipReason, startAgentSleeveKit, type AgentSleeveKit } from '../../../../test/kit/agents/agent-sleeve-kit.js';
import { claudeKit, claudeWorkingDirectory, claudeWriteFileScript } from '../../../../test/kit/agents/claude-script.js';
import { startModelServer, type ModelServer } from '../../../../test/kit/model-server/model-server.js';
import type { Responder } from '../../../../test/kit/model-server/model-server-types.js';
import { drain } from '../agent-test-helpers.js';
import { ClaudeDriver } from './claude-driver.js';

const KEY = 'sk-ant-test-SECRET-93c1d7e2aa';
const T = 120_000;
const bwrap = await BubblewrapRuntime.available();
const skip = cliSkipReason('claude') ?? (bwrap ? null : 'bubblewrap not available');

describe.skipIf(skip !== null)(`claude driver with the real CLI${skip === null ? '' : ` [skipped: ${skip}]`}`, () => {
  let kit: AgentSleeveKit;
  let server: ModelServer;
  const driver = new ClaudeDriver({ bin: agentCli('claude') ?? 'claude', maxRetries: 0, guidanceSettleMs: 5_000 });

  beforeAll(async () => {
    kit = startAgentSleeveKit({ sandboxed: true });
    server = await startModelServer({ protocols: claudeKit.protocols, responder: claudeWriteFileScript('x.txt', 'x') });
  });
  afterAll(async () => {
    await server?.close();
    await kit?.close();
  });

  function input(extra: Partial<AgentIterationInput> = {}, ws = kit.makeWorkspace()): AgentIterationInput & { workspacePath: string; homePath: string } {
    return {
      taskId: 'task_claude',
      iteration: 1,
      prompt: 'Create the file',
      guidance: [],
      workspacePath: ws.workspacePath,
      homePath: ws.homePath,
      env: kit.baseEnv(ws.homePath),
      runtime: kit.runtime,
      sleeve: kit.sleeve([`127.0.0.1:${server.port}`], { writablePaths: [ws.homePath] }),
      model: null,
      endpoints: claudeKit.endpoints(server.url, KEY),
      resumeSession: null,
      ...extra,
    };
  }

  const kinds = (events: AgentEvent[]) => events.map((e) => e.kind);

  it(
    'writes a file in the workspace and reports session, tool call, file change, usage and done',
    async () => {
      server.setResponder(claudeWriteFileScript('out/hello.txt', 'hello from claude\n', { input: 1000, output: 200 }));
      const mark = server.requests.length;
      const i = input();
      const { events, exit } = await drain(await driver.startIteration(i));
      expect(exit.exitCode).toBe(0);
      expect(readFileSync(join(i.workspacePath, 'out/hello.txt'), 'utf8')).toBe('hello from claude\n');
      expect(kinds(events)).toEqual(expect.arrayContaining(['session', 'tool_call', 'tool_result', 'file_change', 'usage', 'done']));
      expect(events).toContainEqual({ kind: 'file_change', path: 'out/hello.txt', change: 'created' });
      const usage = events.filter((e): e is Extract<AgentEvent, { kind: 'usage' }> => e.kind === 'usage');
      expect(usage.at(-1)).toMatchObject({ tokensIn: 2000, tokensOut: 400, model: 'claude-sonnet-4-5', reportedUsd: 0.012 });
      // A usage event follows the first model response, before its tool runs.
      expect(kinds(events).indexOf('usage')).toBeLessThan(kinds(events).indexOf('tool_result'));
      expect(JSON.stringify(events)).not.toContain(KEY);
      const reqs = server.requests.slice(mark);
      expect(reqs.every((r) => r.model === 'claude-sonnet-4-5' && r.headers['x-api-key'] === KEY)).toBe(true);
      expect(server.unmatched).toEqual([]);
      // The settings file the driver wrote stays as written (read-only inside the sleeve).
      const settings = JSON.parse(readFileSync(join(i.homePath, '.claude/settings.json'), 'utf8')) as { permissions: { defaultMode: string } };
      expect(settings.permissions.defaultMode).toBe('bypassPermissions');
    },
    T,
  );

  it(
    'a 429 is a rate_limited error and a 401 is auth_failed, neither showing the key',
    async () => {
      server.setResponder(() => ({ error: { kind: 'rate_limit', retryAfterS: 0, message: 'slow down' } }));
      const limited = await drain(await driver.startIteration(input()));
      expect(limited.events.filter((e) => e.kind === 'error')).toEqual([{ kind: 'error', reason: 'rate_limited', message: expect.stringContaining('429') as string, fatal: true }]);
      expect(limited.exit.exitCode).toBe(1);
      server.setResponder(() => ({ error: { kind: 'auth', message: 'invalid x-api-key' } }));
      const denied = await drain(await driver.startIteration(input()));
      expect(denied.events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.reason : null))).toEqual(['auth_failed']);
      expect(kinds(denied.events)).not.toContain('done');
      expect(JSON.stringify([...limited.events, ...denied.events])).not.toContain(KEY);
    },
    T,
  );

  /** The model runs `sleep` until it sees `word` in a user message, then writes `file`. */
  function workUntil(word: string, file: string): Responder {
    return (req) => {
      if (req.toolNames.length === 0) return { text: 'ok' };
      const cwd = claudeWorkingDirectory(req) ?? '.';
      if (req.userTexts.some((t) => t.includes(word))) {
        if (req.toolResults.some((t) => t.includes('File created'))) return { text: 'Followed the guidance.', usage: { input: 100, output: 5 } };
        return { toolCalls: [{ name: 'Write', input: { file_path: `${cwd}/${file}`, content: word } }], usage: { input: 100, output: 5 } };
      }
      if (req.assistantTurns > 30) return { text: 'Gave up waiting.' };
      return { toolCalls: [{ name: 'Bash', input: { command: 'sleep 0.5' } }], usage: { input: 100, output: 5 } };
    };
  }

  async function waitFor(cond: () => boolean, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it(
    'guidance written mid-run reaches the model within the running turn',
    async () => {
      const word = 'GUIDANCE-CLAUDE-42';
      server.setResponder(workUntil(word, 'guided.txt'));
      const mark = server.requests.length;
      const i = input({ prompt: 'Work until told otherwise' });
      const run: AgentRun = await driver.startIteration(i);
      const done = drain(run);
      await waitFor(() => server.requests.slice(mark).some((r) => r.toolNames.length > 0));
      await expect(run.guide!(word)).resolves.toBe('live');
      const { events, exit } = await done;
      expect(exit.exitCode).toBe(0);
      const later = server.requests.slice(mark).filter((r) => r.userTexts.some((t) => t.includes(word)));
      expect(later.length).toBeGreaterThan(0);
      expect(readFileSync(join(i.workspacePath, 'guided.txt'), 'utf8')).toBe(word);
      expect(events.filter((e) => e.kind === 'done')).toHaveLength(1);
      await expect(run.guide!('too late')).rejects.toThrow(/no longer takes input/);
    },
    T,
  );

  it(
    'guidance that arrives during the final answer runs as one more turn before the CLI exits',
    async () => {
      const word = 'LATE-GUIDANCE-7';
      let held = false;
      server.setResponder(async (req) => {
        const base = await claudeWriteFileScript('first.txt', 'first')(req);
        if (req.userTexts.some((t) => t.includes(word))) return { text: 'Saw the late guidance.' };
        if (req.toolResults.length > 0 && !held) {
          held = true;
          return { ...base, delayMs: 3000 };
        }
        return base;
      });
      const mark = server.requests.length;
      const run = await driver.startIteration(input());
      const done = drain(run);
      await waitFor(() => held);
      await expect(run.guide!(word)).resolves.toBe('live');
      const { events, exit } = await done;
      expect(exit.exitCode).toBe(0);
      expect(server.requests.slice(mark).some((r) => r.userTexts.some((t) => t.includes(word)))).toBe(true);
      expect(events.filter((e) => e.kind === 'done').map((e) => (e.kind === 'done' ? e.summary : null))).toEqual(['Wrote first.txt.', 'Saw the late guidance.']);
    },
    T,
  );

  it(
    'resumes the session of the previous iteration',
    async () => {
      server.setResponder(claudeWriteFileScript('a.txt', 'a'));
      const ws = kit.makeWorkspace();
      const first = await drain(await driver.startIteration(input({}, ws)));
      const session = first.events.find((e) => e.kind === 'session');
      expect(session?.kind === 'session' && session.id).toMatch(/^[0-9a-f-]{36}$/);
      server.setResponder((req) => ({ text: `turns so far: ${req.assistantTurns}` }));
      const mark = server.requests.length;
      const second = await drain(await driver.startIteration(input({ iteration: 2, prompt: 'Continue', resumeSession: session?.kind === 'session' ? session.id : null }, ws)));
      expect(second.exit.exitCode).toBe(0);
      expect(server.requests[mark]!.assistantTurns).toBe(2);
      expect(server.requests[mark]!.userTexts.some((t) => t.includes('Create the file'))).toBe(true);
      expect(second.events).toContainEqual(session);
    },
    T,
  );

  it('reports its version and null for a missing binary', async () => {
    expect((await driver.detect(kit.baseEnv(kit.makeWorkspace().homePath)))?.version).toBe('2.1.330');
    expect(await new ClaudeDriver({ bin: '/nonexistent/claude' }).detect({ PATH: '/usr/bin' })).toBeNull();
  }, 30_000);
});

describe.skipIf(cliSkipReason('claude') !== null)('claude driver unsandboxed (process runtime)', () => {
  it(
    'edits files without asking also when it may not bypass permissions (root without a sandbox)',
    async () => {
      const kit = startAgentSleeveKit({ sandboxed: false });
      const write = claudeWriteFileScript('plain.txt', 'plain');
      // First a command (Bash), then a file write (Write), then the final text.
      const responder: Responder = (req) =>
        req.toolNames.length > 0 && req.toolResults.length === 0 ? { toolCalls: [{ name: 'Bash', input: { command: 'echo ran > ran.txt' } }] } : write({ ...req, toolResults: req.toolResults.slice(1) });
      const server = await startModelServer({ protocols: claudeKit.protocols, responder });
      try {
        const ws = kit.makeWorkspace();
        const driver = new ClaudeDriver({ bin: agentCli('claude') ?? 'claude', maxRetries: 0 });
        const run = await driver.startIteration({
          taskId: 't',
          iteration: 1,
          prompt: 'Create plain.txt',
          guidance: [],
          ...ws,
          env: kit.baseEnv(ws.homePath),
          runtime: kit.runtime,
          endpoints: claudeKit.endpoints(server.url, KEY),
        });
        const { events, exit } = await drain(run);
        expect(exit.exitCode, JSON.stringify(events.slice(-4))).toBe(0);
        expect(readFileSync(join(ws.workspacePath, 'ran.txt'), 'utf8')).toBe('ran\n');
        expect(existsSync(join(ws.workspacePath, 'plain.txt'))).toBe(true);
        expect(statSync(join(ws.homePath, '.claude/settings.json')).isFile()).toBe(true);
      } finally {
        await server.close();
        await kit.close();
      }
    },
    T,
  );
});
