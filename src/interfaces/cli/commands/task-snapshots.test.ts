/**
 * `tasks snapshot | snapshots | revert` against a STAND-IN HQ (canned command replies); the real
 * HQ and node are exercised by test/e2e/snapshots.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NodeCommandDto } from '../../../contract/node-command-schemas.js';
import { runCli } from '../program.js';
import type { ServerRunners } from '../server-runners.js';
import { fakeIo } from '../testing/fake-io.js';
import { StandInHq } from '../testing/stand-in-hq.js';

const TOKEN = 'tok_test.secret-secret-secret';
const noRunners: ServerRunners = {
  up: () => Promise.reject(new Error('unused')),
  hq: () => Promise.reject(new Error('unused')),
  node: () => Promise.reject(new Error('unused')),
  gc: () => Promise.reject(new Error('unused')),
};
const T0 = 1_800_000_000_000;

let hq: StandInHq;
beforeEach(async () => {
  hq = await new StandInHq().start();
});
afterEach(async () => {
  await hq.stop();
});

async function cli(...argv: string[]) {
  let now = T0;
  const io = fakeIo(argv, { env: { CORTICAL_HQ: hq.url, CORTICAL_TOKEN: TOKEN }, now: () => (now += 100) });
  const code = await runCli(io, noRunners);
  return { code, out: io.out(), err: io.errText() };
}

function cmd(over: Partial<NodeCommandDto>): NodeCommandDto {
  return {
    id: 'cmd_1', nodeId: 'node_1', taskId: 'task_1', kind: 'snapshot', args: {}, state: 'queued', result: null, error: null,
    actor: 'user:tok_test', createdAt: T0, updatedAt: T0, ...over,
  };
}

/** GET /commands/cmd_1 answers these in turn, then repeats the last. */
function polls(items: NodeCommandDto[]) {
  let i = 0;
  return () => ({ json: items[Math.min(i++, items.length - 1)]! });
}

describe('cortical tasks snapshot / snapshots / revert', () => {
  it('snapshot: posts the label, waits for the node, prints the snapshot', async () => {
    hq.on('POST', '/api/v1/tasks/task_1/snapshots', { status: 202, json: cmd({ args: { label: 'green' } }) });
    const result = { snapshotId: 'S1', label: 'green', createdAt: T0, commit: 'c', trackedCommit: null, untrackedBytes: 2048, durationMs: 31 };
    hq.on('GET', '/api/v1/commands/cmd_1', polls([cmd({ state: 'sent' }), cmd({ state: 'done', result })]));
    const r = await cli('tasks', 'snapshot', 'task_1', '--label', 'green');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('snapshot S1 of task_1 taken in 31 ms (green); 2.0 KiB not tracked by git\n');
    expect(r.err).toMatch(/waiting for node node_1 to pick up the command.*\n.*node node_1 is working on it/);
    expect(hq.calls('/api/v1/tasks/task_1/snapshots', 'POST')[0]?.body).toEqual({ label: 'green' });
  });

  it('revert: prints what was restored; --json prints the finished command', async () => {
    const result = { snapshotId: 'S1', written: 12, removed: 3, durationMs: 250 };
    hq.on('POST', '/api/v1/tasks/task_1/snapshots/S1/revert', { status: 202, json: cmd({ kind: 'revert', args: { snapshotId: 'S1' } }) });
    hq.on('GET', '/api/v1/commands/cmd_1', polls([cmd({ kind: 'revert', state: 'done', result })]));
    const r = await cli('tasks', 'revert', 'task_1', 'S1');
    expect(r).toMatchObject({ code: 0, out: 'reverted task_1 to snapshot S1 in 250 ms: 12 files written, 3 removed\n' });
    const j = await cli('tasks', 'revert', 'task_1', 'S1', '--json');
    expect(JSON.parse(j.out)).toMatchObject({ state: 'done', result });
  });

  it('snapshots: a table, newest first', async () => {
    const snaps = [
      { id: 'S1', createdAt: T0 - 60_000, label: 'first', commit: 'a', trackedCommit: null, untrackedBytes: 10 },
      { id: 'S2', createdAt: T0 - 5_000, label: 'second', commit: 'b', trackedCommit: null, untrackedBytes: 0 },
    ];
    hq.on('GET', '/api/v1/tasks/task_1/snapshots', { status: 202, json: cmd({ kind: 'list_snapshots', state: 'done', result: { snapshots: snaps, durationMs: 4 } }) });
    const r = await cli('tasks', 'snapshots', 'task_1');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TAKEN\s+AGO\s+LABEL\s+NOT TRACKED/);
    expect(lines[1]).toMatch(/^S2 .*second/);
    expect(lines[2]).toMatch(/^S1 .*first/);
  });

  it("the node's failure, HQ's refusal and a timeout are clear errors (exit 1)", async () => {
    hq.on('POST', '/api/v1/tasks/task_1/snapshots/S9/revert', { status: 202, json: cmd({ kind: 'revert' }) });
    hq.on('GET', '/api/v1/commands/cmd_1', polls([cmd({ kind: 'revert', state: 'failed', error: 'snapshot S9 not found' })]));
    const failed = await cli('tasks', 'revert', 'task_1', 'S9');
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('node node_1: revert of task task_1 failed: snapshot S9 not found');

    hq.on('POST', '/api/v1/tasks/task_2/snapshots/S1/revert', {
      status: 409,
      json: { error: { code: 'CONFLICT', message: 'task task_2 is running: an iteration may be writing to its workspace. Pause it first' } },
    });
    const refused = await cli('tasks', 'revert', 'task_2', 'S1');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/is running.*Pause it first/);

    hq.on('POST', '/api/v1/tasks/task_3/snapshots', { status: 202, json: cmd({ id: 'cmd_3', taskId: 'task_3' }) });
    hq.on('GET', '/api/v1/commands/cmd_3', { json: cmd({ id: 'cmd_3', taskId: 'task_3', state: 'sent' }) });
    const slow = await cli('tasks', 'snapshot', 'task_3', '--timeout', '2s');
    expect(slow.code).toBe(1);
    expect(slow.err).toMatch(/no result from node node_1 within 2\.0s; command cmd_3 is still sent/);

    const usage = await cli('tasks', 'snapshot', 'task_3', '--timeout', 'soon');
    expect(usage.code).toBe(2);
  });
});
