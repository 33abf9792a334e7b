import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusMessage } from '../../../core/ports/bus.js';
import type { Logger } from '../../../core/ports/logger.js';
import { NatsBus } from './nats-bus.js';
import { eventually, NATS_SERVER_BIN, natsAvailable, PrivateNatsServer, TEST_NATS_URL, uniqueNames } from './nats-test-support.js';

const available = await natsAvailable();

function capturingLogger(lines: { level: string; msg: string }[]): Logger {
  const logger: Logger = {
    debug: (_o, msg) => lines.push({ level: 'debug', msg }),
    info: (_o, msg) => lines.push({ level: 'info', msg }),
    warn: (_o, msg) => lines.push({ level: 'warn', msg }),
    error: (_o, msg) => lines.push({ level: 'error', msg }),
    child: () => logger,
  };
  return logger;
}

describe.skipIf(!available)('NatsBus between replicas', () => {
  const open: NatsBus[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  async function replica(subjectPrefix: string, servers = TEST_NATS_URL, extra: { logger?: Logger } = {}): Promise<NatsBus> {
    const bus = await NatsBus.connect({ servers, subjectPrefix, reconnectTimeWaitMs: 50, ...extra });
    open.push(bus);
    return bus;
  }

  it('two replicas wake each other, in order, and each sees its own messages once', async () => {
    const { subjectPrefix } = uniqueNames('replicas');
    const a = await replica(subjectPrefix);
    const b = await replica(subjectPrefix);
    const atA: BusMessage[] = [];
    const atB: BusMessage[] = [];
    a.subscribe('tasks.queued', (m) => atA.push(m));
    b.subscribe('tasks.queued', (m) => atB.push(m));
    // Subscriptions are registered with the server before the peer publishes.
    await a.connection.flush();
    await b.connection.flush();
    for (let n = 1; n <= 20; n++) await a.publish({ topic: 'tasks.queued', data: { n } });
    await b.publish({ topic: 'tasks.queued', data: { from: 'b' } });
    await eventually(() => atA.length === 21 && atB.length === 21, 5_000, 'both replicas to get 21 messages');
    await new Promise((r) => setTimeout(r, 100));
    expect(atA).toHaveLength(21);
    expect(atB).toHaveLength(21);
    const numbers = Array.from({ length: 20 }, (_, i) => i + 1);
    // b's own message reaches b at once, a's messages after the network hop: compare per sender.
    expect(atB.filter((m) => 'n' in m.data).map((m) => m.data['n'])).toEqual(numbers);
    expect(atA.filter((m) => 'n' in m.data).map((m) => m.data['n'])).toEqual(numbers);
    expect(atA.filter((m) => m.data['from'] === 'b')).toHaveLength(1);
    expect(atB.filter((m) => m.data['from'] === 'b')).toHaveLength(1);
    expect(atB.every((m) => m.topic === 'tasks.queued')).toBe(true);
  });

  it('replicas with different prefixes do not see each other', async () => {
    const a = await replica(uniqueNames('iso').subjectPrefix);
    const b = await replica(uniqueNames('iso').subjectPrefix);
    const atB: BusMessage[] = [];
    b.subscribe('nodes.changed', (m) => atB.push(m));
    await b.connection.flush();
    await a.publish({ topic: 'nodes.changed', data: {} });
    await a.connection.flush();
    await new Promise((r) => setTimeout(r, 150));
    expect(atB).toHaveLength(0);
  });

  it('uses the subject <prefix>.bus.<topic> with a JSON object payload, and drops malformed messages', async () => {
    const { subjectPrefix } = uniqueNames('wire');
    const lines: { level: string; msg: string }[] = [];
    const bus = await replica(subjectPrefix, TEST_NATS_URL, { logger: capturingLogger(lines) });
    const got: BusMessage[] = [];
    bus.subscribe('killswitch.changed', (m) => got.push(m));
    await bus.connection.flush();
    const raw = await connect({ servers: TEST_NATS_URL });
    try {
      const seen: string[] = [];
      const sub = raw.subscribe(`${subjectPrefix}.bus.>`, {
        callback: (_e, m) => {
          seen.push(`${m.subject} ${m.string()}`);
        },
      });
      await raw.flush();
      await bus.publish({ topic: 'killswitch.changed', data: { on: true } });
      await eventually(() => seen.length === 1);
      expect(seen[0]).toBe(`${subjectPrefix}.bus.killswitch.changed {"on":true}`);
      sub.unsubscribe();
      raw.publish(`${subjectPrefix}.bus.killswitch.changed`, 'not json');
      raw.publish(`${subjectPrefix}.bus.killswitch.changed`, '[1,2]');
      raw.publish(`${subjectPrefix}.bus.no-such-topic`, '{}');
      raw.publish(`${subjectPrefix}.bus.killswitch.changed`, '{"on":false}');
      await raw.flush();
      await eventually(() => got.length === 2);
      await new Promise((r) => setTimeout(r, 50));
      expect(got.map((m) => m.data)).toEqual([{ on: true }, { on: false }]);
      expect(lines.filter((l) => l.msg === 'malformed bus message dropped')).toHaveLength(2);
    } finally {
      await raw.close();
    }
  });

  it('keeps working across a dropped connection (client reconnect)', async () => {
    const { subjectPrefix } = uniqueNames('drop');
    const a = await replica(subjectPrefix);
    const b = await replica(subjectPrefix);
    const atB: BusMessage[] = [];
    b.subscribe('tasks.changed', (m) => atB.push(m));
    await b.connection.flush();
    await a.connection.reconnect();
    await eventually(() => a.isConnected(), 5_000, 'a to reconnect');
    // After a reconnect the replica sends one wake-up per topic so peers re-check at once.
    await eventually(() => atB.some((m) => m.data['reconnected'] === true), 5_000, 'the reconnect wake-up');
    await a.publish({ topic: 'tasks.changed', data: { after: 'reconnect' } });
    await eventually(() => atB.some((m) => m.data['after'] === 'reconnect'), 5_000, 'a wake-up after the reconnect');
  });

  it('close drains: a message published just before close reaches the peer', async () => {
    const { subjectPrefix } = uniqueNames('drain');
    const a = await NatsBus.connect({ servers: TEST_NATS_URL, subjectPrefix });
    const b = await replica(subjectPrefix);
    const atB: BusMessage[] = [];
    b.subscribe('events.appended', (m) => atB.push(m));
    await b.connection.flush();
    await a.publish({ topic: 'events.appended', data: { last: true } });
    await a.close();
    expect(a.connection.isClosed()).toBe(true);
    await eventually(() => atB.length === 1);
  });

  it('fails to connect with a clear error when no server answers, and rejects bad options', async () => {
    await expect(NatsBus.connect({ servers: '127.0.0.1:1', connectTimeoutMs: 500 })).rejects.toThrow(/cannot connect to NATS at 127\.0\.0\.1:1/);
    await expect(NatsBus.connect({ servers: TEST_NATS_URL, subjectPrefix: 'bad prefix.*' })).rejects.toThrow(/invalid NATS bus options: [\s\S]*subjectPrefix/);
    await expect(NatsBus.connect({ servers: [] })).rejects.toThrow(/invalid NATS bus options/);
  });
});

describe.skipIf(!available || NATS_SERVER_BIN === null)('NatsBus while the server is down', () => {
  it('publish never throws, local subscribers still hear, and peers hear again once the server is back', async () => {
    const server = await PrivateNatsServer.start();
    const lines: { level: string; msg: string }[] = [];
    const { subjectPrefix } = uniqueNames('down');
    const a = await NatsBus.connect({ servers: server.url, subjectPrefix, reconnectTimeWaitMs: 50, logger: capturingLogger(lines) });
    const b = await NatsBus.connect({ servers: server.url, subjectPrefix, reconnectTimeWaitMs: 50 });
    try {
      const atA: BusMessage[] = [];
      const atB: BusMessage[] = [];
      a.subscribe('tasks.queued', (m) => atA.push(m));
      b.subscribe('tasks.queued', (m) => atB.push(m));
      await b.connection.flush();
      await server.down();
      await eventually(() => !a.isConnected(), 5_000, 'a to notice the server is gone');
      await expect(a.publish({ topic: 'tasks.queued', data: { while: 'down' } })).resolves.toBeUndefined();
      expect(atA.map((m) => m.data)).toEqual([{ while: 'down' }]);
      await server.up();
      await eventually(() => a.isConnected() && b.isConnected(), 10_000, 'both to reconnect');
      await a.connection.flush();
      await b.connection.flush();
      await a.publish({ topic: 'tasks.queued', data: { while: 'up' } });
      await eventually(() => atB.some((m) => m.data['while'] === 'up'), 5_000, 'b to hear a again');
      // The message sent while down was dropped, not buffered and replayed.
      expect(atB.some((m) => m.data['while'] === 'down')).toBe(false);
      expect(lines.some((l) => l.level === 'warn' && l.msg.startsWith('NATS disconnected'))).toBe(true);
    } finally {
      await a.close();
      await b.close();
      await server.dispose();
    }
  });
});

if (!available) {
  describe('NatsBus', () => {
    it.skip(`skipped: no NATS at ${TEST_NATS_URL}`, () => undefined);
  });
}
