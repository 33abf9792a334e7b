import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage } from '../../core/ports/bus.js';

/**
 * The contract every Bus passes. Delivery may be asynchronous (a network bus), so assertions
 * wait until messages arrive.
 */
export function describeBusContract(name: string, makeBus: () => Promise<Bus>): void {
  describe(`Bus contract: ${name}`, () => {
    let bus: Bus;

    beforeEach(async () => {
      bus = await makeBus();
    });
    afterEach(async () => {
      await bus.close();
    });

    it('delivers a message to every subscriber of its topic, in publish order', async () => {
      const a: BusMessage[] = [];
      const b: BusMessage[] = [];
      bus.subscribe('tasks.queued', (m) => a.push(m));
      bus.subscribe('tasks.queued', (m) => b.push(m));
      await bus.publish({ topic: 'tasks.queued', data: { n: 1 } });
      await bus.publish({ topic: 'tasks.queued', data: { n: 2 } });
      await eventually(() => a.length === 2 && b.length === 2);
      expect(a.map((m) => m.data['n'])).toEqual([1, 2]);
      expect(b.map((m) => m.data['n'])).toEqual([1, 2]);
      expect(a[0]?.topic).toBe('tasks.queued');
    });

    it('does not deliver messages of other topics', async () => {
      const got: BusMessage[] = [];
      bus.subscribe('nodes.changed', (m) => got.push(m));
      await bus.publish({ topic: 'tasks.changed', data: {} });
      await bus.publish({ topic: 'nodes.changed', data: { id: 'n1' } });
      await eventually(() => got.length >= 1);
      await settle();
      expect(got).toHaveLength(1);
      expect(got[0]?.data).toEqual({ id: 'n1' });
    });

    it('stops delivering after unsubscribe', async () => {
      const got: BusMessage[] = [];
      const unsubscribe = bus.subscribe('killswitch.changed', (m) => got.push(m));
      await bus.publish({ topic: 'killswitch.changed', data: { on: true } });
      await eventually(() => got.length === 1);
      unsubscribe();
      unsubscribe();
      await bus.publish({ topic: 'killswitch.changed', data: { on: false } });
      await settle();
      expect(got).toHaveLength(1);
    });

    it('a throwing handler does not stop delivery to the others or fail publish', async () => {
      const got: BusMessage[] = [];
      bus.subscribe('events.appended', () => {
        throw new Error('boom');
      });
      bus.subscribe('events.appended', (m) => got.push(m));
      await expect(bus.publish({ topic: 'events.appended', data: { seq: 7 } })).resolves.toBeUndefined();
      await eventually(() => got.length === 1);
      expect(got[0]?.data).toEqual({ seq: 7 });
    });

    it('publishing with no subscribers succeeds', async () => {
      await expect(bus.publish({ topic: 'tasks.changed', data: {} })).resolves.toBeUndefined();
    });

    it('the same handler subscribed twice is called once per subscription', async () => {
      let calls = 0;
      const handler = (): void => {
        calls += 1;
      };
      const off1 = bus.subscribe('tasks.queued', handler);
      bus.subscribe('tasks.queued', handler);
      await bus.publish({ topic: 'tasks.queued', data: {} });
      await eventually(() => calls === 2);
      off1();
      await bus.publish({ topic: 'tasks.queued', data: {} });
      await eventually(() => calls === 3);
      await settle();
      expect(calls).toBe(3);
    });

    it('a handler that unsubscribes another during fan-out stops it from being called', async () => {
      const calls: string[] = [];
      let offB: () => void = () => undefined;
      bus.subscribe('nodes.changed', () => {
        calls.push('a');
        offB();
      });
      offB = bus.subscribe('nodes.changed', () => calls.push('b'));
      await bus.publish({ topic: 'nodes.changed', data: {} });
      await eventually(() => calls.length >= 1);
      await settle();
      expect(calls).toEqual(['a']);
    });

    it('one handler on several topics gets the messages of each, with their topic', async () => {
      const got: string[] = [];
      const handler = (m: BusMessage): void => {
        got.push(m.topic);
      };
      bus.subscribe('tasks.queued', handler);
      bus.subscribe('killswitch.changed', handler);
      await bus.publish({ topic: 'killswitch.changed', data: {} });
      await bus.publish({ topic: 'tasks.queued', data: {} });
      await eventually(() => got.length === 2);
      expect([...got].sort()).toEqual(['killswitch.changed', 'tasks.queued']);
    });

    it('after close nothing is delivered and subscribe returns a harmless unsubscribe', async () => {
      const got: BusMessage[] = [];
      bus.subscribe('tasks.changed', (m) => got.push(m));
      await bus.close();
      await bus.publish({ topic: 'tasks.changed', data: {} });
      const off = bus.subscribe('tasks.changed', (m) => got.push(m));
      off();
      await settle();
      expect(got).toHaveLength(0);
    });

    it('close is idempotent and publish after close does not throw', async () => {
      await bus.close();
      await bus.close();
      await expect(bus.publish({ topic: 'tasks.queued', data: {} })).resolves.toBeUndefined();
    });
  });
}

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
}
