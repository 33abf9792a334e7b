/** `cortical tasks show` and `tasks ls --project` against a stand-in HQ. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './program.js';
import type { ServerRunners } from './server-runners.js';
import { iterationCosts } from './task-extras.js';
import { fakeIo } from './testing/fake-io.js';
import { T0, afterPage, sampleEvent, sampleTask } from './testing/fixtures.js';
import { StandInHq } from './testing/stand-in-hq.js';

const unused = () => Promise.reject(new Error('unused'));
const noRunners: ServerRunners = { up: unused, hq: unused, node: unused, gc: unused };

let hq: StandInHq;
beforeEach(async () => {
  hq = await new StandInHq().start();
});
afterEach(async () => {
  await hq.stop();
});

async function cli(...argv: string[]) {
  const io = fakeIo(argv, { env: { CORTICAL_HQ: hq.url, CORTICAL_TOKEN: 'tok_test.secret-secret-secret' }, now: () => T0 + 3000 });
  const code = await runCli(io, noRunners);
  return { code, out: io.out(), err: io.errText() };
}

const guidance = (seq: number, text: string, deliveryMode: string | null) => ({
  id: seq,
  taskId: 'tsk_1',
  seq,
  text,
  createdAt: T0,
  actor: 'alice',
  deliveredAt: deliveryMode === null ? null : T0 + 1,
  deliveryMode,
});

describe('cortical tasks show', () => {
  it('shows tokens and dollars, the cost of each iteration and how guidance was delivered', async () => {
    const usage = { iterations: 2, tokensIn: 1500, tokensOut: 300, usd: 0.0425 };
    hq.on('GET', '/api/v1/tasks/tsk_1', { json: sampleTask({ state: 'running', usage }) });
    hq.on('GET', '/api/v1/tasks/tsk_1/events', {
      json: afterPage([
        sampleEvent(1, 'iteration.started', { attempt: 1, iteration: 1 }),
        sampleEvent(2, 'iteration.usage-reported', { attempt: 1, iteration: 1, tokensIn: 1000, tokensOut: 200, usd: 0.03, model: 'gpt-5' }),
        sampleEvent(3, 'iteration.usage-reported', { attempt: 1, iteration: 2, tokensIn: 500, tokensOut: 100, usd: 0.0125 }),
      ]),
    });
    hq.on('GET', '/api/v1/tasks/tsk_1/guidance', { json: { items: [guidance(1, 'use pnpm', 'live'), guidance(2, 'add tests', null)] } });
    const r = await cli('tasks', 'show', 'tsk_1');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage:\s+2 iterations, 1500 tokens in, 300 tokens out, \$0\.0425$/m);
    expect(r.out).toMatch(/^ATTEMPT\s+ITER\s+TOKENS IN\s+TOKENS OUT\s+USD\s+MODEL$/m);
    expect(r.out).toMatch(/^1\s+1\s+1000\s+200\s+\$0\.0300\s+gpt-5$/m);
    expect(r.out).toMatch(/^1\s+2\s+500\s+100\s+\$0\.0125\s+-$/m);
    expect(r.out).toMatch(/^1\s+live\s+alice\s+use pnpm$/m);
    expect(r.out).toMatch(/^2\s+pending\s+alice\s+add tests$/m);
  });

  it('a task without iterations or guidance shows just its fields; --json is the task alone', async () => {
    hq.on('GET', '/api/v1/tasks/tsk_1', { json: sampleTask() });
    hq.on('GET', '/api/v1/tasks/tsk_1/guidance', { json: { items: [] } });
    const r = await cli('tasks', 'show', 'tsk_1');
    expect(r.out).not.toMatch(/iterations:|guidance:/);
    expect(hq.requests.map((q) => q.path)).toEqual(['/api/v1/tasks/tsk_1', '/api/v1/tasks/tsk_1/guidance']);
    expect(JSON.parse((await cli('tasks', 'show', 'tsk_1', '--json')).out)).toMatchObject({ id: 'tsk_1' });
  });
});

describe('cortical tasks ls --project', () => {
  it('passes the project filter', async () => {
    hq.on('GET', '/api/v1/tasks', { json: { items: [sampleTask()], nextCursor: null } });
    expect((await cli('tasks', 'ls', '--project', 'web')).code).toBe(0);
    expect(hq.requests[0]?.query).toMatchObject({ project: 'web' });
  });
});

describe('iterationCosts', () => {
  it('keeps usage events with an iteration number, in order', () => {
    expect(
      iterationCosts([
        { type: 'iteration.usage-reported', data: { iteration: 3, tokensIn: 1, tokensOut: 2, usd: 0.5 } },
        { type: 'agent.event', data: { iteration: 3 } },
        { type: 'iteration.usage-reported', data: { tokensIn: 1 } },
      ]),
    ).toEqual([{ attempt: null, iteration: 3, tokensIn: 1, tokensOut: 2, usd: 0.5, model: null }]);
  });
});
