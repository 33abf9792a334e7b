/**
 * The aider driver with a FAKE aider (test/fixtures/agents/fake-aider.mjs; the real Aider is a
 * Python program that is not installed here) through the process runtime, against the scripted
 * model server.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_ENDPOINTS } from '../../../core/model-endpoints.js';
import type { AgentEvent, AgentIterationInput } from '../../../core/ports/agent-driver.js';
import { startAgentSleeveKit, type AgentSleeveKit } from '../../../../test/kit/agents/agent-sleeve-kit.js';
import { startModelServer, type ModelServer } from '../../../../test/kit/model-server/model-server.js';
import { openAiChatProtocol } from '../../../../test/kit/model-server/openai-chat-protocol.js';
import { drain } from '../agent-test-helpers.js';
import { AiderDriver } from './aider-driver.js';

const FAKE_AIDER = resolve(import.meta.dirname, '../../../../test/fixtures/agents/fake-aider.mjs');
const KEY = 'sk-aider-SECRET-9c8b7a6d5e';

describe('aider driver (degraded) with a FAKE aider program', () => {
  let sleeves: AgentSleeveKit;
  let server: ModelServer;
  const driver = new AiderDriver({ bin: process.execPath, binArgs: [FAKE_AIDER] });

  beforeAll(async () => {
    sleeves = startAgentSleeveKit({ sandboxed: false });
    server = await startModelServer({ protocols: [openAiChatProtocol], responder: () => ({ text: 'ok' }) });
  });
  afterAll(async () => {
    await server?.close();
    await sleeves?.close();
  });

  function input(prompt: string): AgentIterationInput {
    const { workspacePath, homePath } = sleeves.makeWorkspace();
    return {
      taskId: 'task_aider',
      iteration: 1,
      prompt,
      guidance: [],
      workspacePath,
      homePath,
      env: sleeves.baseEnv(homePath),
      runtime: sleeves.runtime,
      model: null,
      endpoints: { ...NO_ENDPOINTS, openai: { baseUrl: `${server.url}/v1`, apiKey: KEY, defaultModel: 'gpt-4.1' } },
    };
  }

  it('declares itself degraded with next_iteration guidance and no guide()', async () => {
    expect(driver.degraded).toBe(true);
    expect(driver.guidance).toBe('next_iteration');
    server.setResponder(() => ({ text: 'Nothing to do.', usage: { input: 10, output: 2 } }));
    const run = await driver.startIteration(input('Say hi'));
    expect('guide' in run && run.guide !== undefined).toBe(false);
    await drain(run);
  });

  it('FAKE aider: the file is written, its lines are logs, usage and the file change are parsed, exit 0 is done', async () => {
    server.setResponder(() => ({ text: 'Here is the file:\n\nhello.txt\n```\nhello from aider\n```\n', usage: { input: 1234, output: 56 } }));
    const mark = server.requests.length;
    const inp = input('Create hello.txt');
    const { events, exit } = await drain(await driver.startIteration(inp));
    expect(exit.exitCode).toBe(0);
    expect(readFileSync(join(inp.workspacePath, 'hello.txt'), 'utf8')).toBe('hello from aider\n');
    expect(events.filter((e) => e.kind === 'log').length).toBeGreaterThan(3);
    expect(events).toContainEqual({ kind: 'file_change', path: 'hello.txt', change: 'modified' });
    const usage = events.filter((e): e is Extract<AgentEvent, { kind: 'usage' }> => e.kind === 'usage').at(-1);
    expect(usage).toMatchObject({ tokensIn: 1200, tokensOut: 56, model: 'gpt-4.1' });
    expect(usage?.reportedUsd).toBeCloseTo(0.0029, 6);
    expect(events.at(-1)).toEqual({ kind: 'done', summary: null });
    // The endpoint and model reached the (fake) CLI through Aider's variables and --model openai/MODEL.
    const req = server.requests.slice(mark)[0];
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.model).toBe('gpt-4.1');
    expect(req?.userTexts).toContain('Create hello.txt');
    expect(JSON.stringify(events)).not.toContain(KEY);
  }, 30_000);

  it('FAKE aider: a 429 gives a rate_limited error and no done; a 401 gives auth_failed', async () => {
    server.setResponder(() => ({ error: { kind: 'rate_limit', retryAfterS: 0, message: 'slow down' } }));
    const limited = await drain(await driver.startIteration(input('Create hello.txt')));
    expect(limited.events.flatMap((e) => (e.kind === 'error' ? [e.reason] : []))).toEqual(['rate_limited']);
    expect(limited.events.some((e) => e.kind === 'done')).toBe(false);
    server.setResponder(() => ({ error: { kind: 'auth', message: 'invalid key' } }));
    const denied = await drain(await driver.startIteration(input('Create hello.txt')));
    expect(denied.events.flatMap((e) => (e.kind === 'error' ? [e.reason] : []))).toEqual(['auth_failed']);
    expect(denied.events.some((e) => e.kind === 'done')).toBe(false);
  }, 30_000);

  it('detect() runs --version; a missing program is null', async () => {
    expect(await driver.detect(sleeves.baseEnv(sleeves.makeWorkspace().homePath))).toEqual({ version: '0.86.1' });
    expect(await new AiderDriver({ bin: '/nonexistent/aider' }).detect({ PATH: '/usr/bin:/bin' })).toBeNull();
  }, 30_000);

  it('refuses an empty prompt', async () => {
    await expect(driver.startIteration(input('  '))).rejects.toThrow(/prompt/);
  });
});
