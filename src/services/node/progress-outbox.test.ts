import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { silentLogger } from '../../core/ports/logger.js';
import { InMemoryHqDouble } from './in-memory-hq-double.js';
import { ProgressOutbox } from './progress-outbox.js';

function setup(maxLogLines = 5) {
  const hq = new InMemoryHqDouble();
  hq.tasks.set('t1', { id: 't1' } as never);
  const clock = new FakeClock();
  let lost = 0;
  const outbox = new ProgressOutbox({
    hq, clock, logger: silentLogger, taskId: 't1', fencingToken: 3, attempt: 1, maxLogLines, onLeaseLost: () => (lost += 1),
  });
  return { hq, clock, outbox, lost: () => lost };
}

describe('ProgressOutbox', () => {
  it('buffers during an outage, drops the oldest lines beyond the bound and says so', async () => {
    const { hq, clock, outbox } = setup(5);
    hq.unavailable = true;
    for (let i = 0; i < 8; i++) outbox.log(1, 'stdout', `l${i}`);
    expect(await outbox.flush()).toBe('unavailable');
    expect(await outbox.flushSoon()).toBe('unavailable'); // backing off
    hq.unavailable = false;
    expect(await outbox.flushSoon()).toBe('unavailable'); // still backing off
    clock.advance(1000);
    expect(await outbox.flushSoon()).toBe('sent');
    expect(hq.logText()).toEqual(['3 log lines were dropped while HQ was unreachable', 'l3', 'l4', 'l5', 'l6', 'l7']);
    expect(hq.logs[0]?.stream).toBe('system');
    expect(hq.progress[0]?.fencingToken).toBe(3);
  });

  it('reports a lost lease once and sends nothing more', async () => {
    const { hq, outbox, lost } = setup();
    hq.lostLeases.add('t1');
    outbox.log(1, 'stdout', 'x');
    expect(await outbox.flush()).toBe('lease_lost');
    outbox.update({ observed: 'paused' });
    expect(await outbox.flush()).toBe('lease_lost');
    expect(lost()).toBe(1);
  });

  it('sends the latest state and pause fields once', async () => {
    const { hq, outbox } = setup();
    outbox.update({ observed: 'paused', pauseReason: 'stuck', pauseMessage: 'no change' });
    await outbox.flush();
    outbox.log(2, 'stdout', 'more');
    await outbox.flush();
    expect(hq.progress[0]).toMatchObject({ observed: 'paused', pauseReason: 'stuck' });
    expect(hq.progress[1]).not.toHaveProperty('pauseReason');
    expect(hq.progress[1]).toMatchObject({ observed: 'paused' });
  });
});
