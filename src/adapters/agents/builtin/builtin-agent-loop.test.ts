import { describe, expect, it } from 'vitest';
import { retryWaitMs, runAgentLoop, type LoopDeps } from './builtin-agent-loop.js';
import type { BuiltinEvent } from './builtin-events.js';
import { ModelCallError, type ModelRequest, type ModelTurn } from './builtin-model-types.js';
import type { ToolRunResult } from './builtin-tool-runner.js';

const turn = (t: Partial<ModelTurn>): ModelTurn => ({ text: '', toolCalls: [], usage: { tokensIn: 10, tokensOut: 2, cachedTokensIn: 1, reasoningTokens: 0 }, stopReason: null, ...t });
const SETTINGS = { model: 'm', system: 'sys', prompt: 'task', maxSteps: 5, maxRetries: 1, maxRetryWaitMs: 1000 };

function harness(replies: (ModelTurn | ModelCallError)[], opts: { guidance?: string[][]; tool?: (name: string, args: string) => ToolRunResult } = {}) {
  const events: BuiltinEvent[] = [];
  const requests: ModelRequest[] = [];
  const sleeps: number[] = [];
  const guidance = [...(opts.guidance ?? [])];
  const deps: LoopDeps = {
    client: {
      turn: (req) => {
        requests.push(structuredClone(req));
        const next = replies.shift();
        if (next === undefined) throw new Error('no more replies');
        return next instanceof ModelCallError ? Promise.reject(next) : Promise.resolve(next);
      },
    },
    tools: [],
    runTool: (name, args) => Promise.resolve(opts.tool?.(name, args) ?? { ok: true, output: `ran ${name}`, changes: [] }),
    takeGuidance: () => guidance.shift() ?? [],
    emit: (e) => events.push(e),
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  };
  return { deps, events, requests, sleeps };
}

describe('runAgentLoop', () => {
  it('runs tools until the model stops calling them; usage is cumulative after every response', async () => {
    const h = harness([turn({ text: 'writing', toolCalls: [{ id: 'c1', name: 'write_file', argsText: '{"path":"a"}' }] }), turn({ text: 'done!' })], {
      tool: () => ({ ok: true, output: 'wrote', changes: [{ path: 'a', change: 'created' }] }),
    });
    expect(await runAgentLoop(h.deps, SETTINGS)).toBe('done');
    expect(h.events).toEqual([
      { builtin: 'usage', model: 'm', tokensIn: 10, tokensOut: 2, cachedTokensIn: 1, reasoningTokens: 0 },
      { builtin: 'message', text: 'writing' },
      { builtin: 'tool_call', id: 'c1', name: 'write_file', input: '{"path":"a"}' },
      { builtin: 'tool_result', id: 'c1', ok: true, output: 'wrote' },
      { builtin: 'file_change', path: 'a', change: 'created' },
      { builtin: 'usage', model: 'm', tokensIn: 20, tokensOut: 4, cachedTokensIn: 2, reasoningTokens: 0 },
      { builtin: 'message', text: 'done!' },
      { builtin: 'done', summary: 'done!' },
    ]);
    expect(h.requests[1]!.conversation.at(-1)).toEqual({ role: 'tool', callId: 'c1', name: 'write_file', output: 'wrote', isError: false });
    expect(h.requests[0]!.system).toBe('sys');
  });

  it('a denied call is reported, handed back as a tool error, and the loop goes on', async () => {
    const h = harness([turn({ toolCalls: [{ id: 'c1', name: 'write_file', argsText: '{"path":"/etc/x"}' }] }), turn({ text: 'ok' })], {
      tool: () => ({ ok: false, output: 'denied by policy: outside', changes: [], denied: { tier: 'T1', reason: 'outside' } }),
    });
    expect(await runAgentLoop(h.deps, SETTINGS)).toBe('done');
    expect(h.events).toContainEqual({ builtin: 'policy_denied', id: 'c1', name: 'write_file', tier: 'T1', reason: 'outside' });
    expect(h.events).toContainEqual({ builtin: 'tool_result', id: 'c1', ok: false, output: 'denied by policy: outside' });
    expect(h.requests[1]!.conversation.at(-1)).toMatchObject({ role: 'tool', isError: true, output: 'denied by policy: outside' });
  });

  it('adds guidance before a model call, and guidance that came in during the last turn gets another turn', async () => {
    const h = harness([turn({ toolCalls: [{ id: 'c1', name: 'list_files', argsText: '{}' }] }), turn({ text: 'first end' }), turn({ text: 'second end' })], {
      guidance: [[], ['use tabs'], ['late note']],
    });
    expect(await runAgentLoop(h.deps, SETTINGS)).toBe('done');
    expect(h.requests[1]!.conversation.at(-1)).toEqual({ role: 'user', text: 'use tabs' });
    expect(h.requests[2]!.conversation.at(-1)).toEqual({ role: 'user', text: 'late note' });
    expect(h.events.filter((e) => e.builtin === 'guidance')).toHaveLength(2);
    expect(h.events.at(-1)).toEqual({ builtin: 'done', summary: 'second end' });
  });

  it('retries a retryable failure, then reports the error with its reason', async () => {
    const limited = new ModelCallError('rate_limited', 'HTTP 429', true, 3000);
    const h = harness([limited, limited]);
    expect(await runAgentLoop(h.deps, SETTINGS)).toBe('error');
    expect(h.sleeps).toEqual([1000]);
    expect(h.events).toEqual([
      { builtin: 'retry', attempt: 1, waitMs: 1000, message: 'HTTP 429' },
      { builtin: 'error', reason: 'rate_limited', message: 'HTTP 429', fatal: true, retryAfterMs: 3000 },
    ]);
    const auth = harness([new ModelCallError('auth_failed', 'HTTP 401', false), turn({})]);
    expect(await runAgentLoop(auth.deps, SETTINGS)).toBe('error');
    expect(auth.events).toEqual([{ builtin: 'error', reason: 'auth_failed', message: 'HTTP 401', fatal: true }]);
  });

  it('stops at maxSteps with an agent_error', async () => {
    const call = turn({ toolCalls: [{ id: 'c', name: 'list_files', argsText: '{}' }] });
    const h = harness([call, call]);
    expect(await runAgentLoop(h.deps, { ...SETTINGS, maxSteps: 2 })).toBe('step_limit');
    expect(h.events.at(-1)).toMatchObject({ builtin: 'error', reason: 'agent_error', fatal: true });
  });

  it('retryWaitMs uses Retry-After, else doubles from 1 s, capped', () => {
    expect(retryWaitMs(1, 0, 5000)).toBe(0);
    expect(retryWaitMs(3, undefined, 60_000)).toBe(4000);
    expect(retryWaitMs(9, undefined, 5000)).toBe(5000);
  });
});
