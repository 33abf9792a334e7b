import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../core/events.js';
import type { Bus } from '../../core/ports/bus.js';
import { silentLogger, type Logger } from '../../core/ports/logger.js';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { NatsBus } from '../../adapters/bus/nats/nats-bus.js';
import { NatsEventSink, relayBucketName, type EventMessage } from '../../adapters/bus/nats/nats-event-sink.js';
import { eventually, NATS_SERVER_BIN, natsAvailable, PrivateNatsServer, TEST_NATS_URL, uniqueNames } from '../../adapters/bus/nats/nats-test-support.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { EventRelay, type EventRelayOptions } from './event-relay.js';
import { createHqHarness } from './hq-test-harness.js';

const available = await natsAvailable();

function taskEvents(n: number, from = 0): NewEvent[] {
  return Array.from({ length: n }, (_, i) => ({ type: 'task.created' as const, taskId: `t${from + i + 1}`, nodeId: null, data: { i: from + i } }));
}

/** Every message of the stream in stream order: the event seqs it holds. */
async function seqsInStream(jsm: JetStreamManager, stream: string): Promise<number[]> {
  const info = await jsm.streams.info(stream);
  const out: number[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m !== null) out.push(m.json<EventMessage>().seq);
  }
  return out;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Run a relay until the returned stop function is called. */
function run(relay: EventRelay): () => Promise<void> {
  const ac = new AbortController();
  const done = relay.start(ac.signal);
  return async () => {
    ac.abort();
    await done;
  };
}

const FAST: Partial<EventRelayOptions> = { pollIntervalMs: 60_000, retryDelayMs: 50, maxRetryDelayMs: 300, gapWaitMs: 300 };

describe.skipIf(!available)('EventRelay → JetStream', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let store: SqliteStore;
  let bus: Bus;
  const streams: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc.close();
  });
  afterEach(async () => {
    await store.close();
    await bus.close();
    for (const name of streams.splice(0)) {
      await jsm.streams.delete(name).catch(() => undefined);
      await jsm.streams.delete(`KV_${relayBucketName(name)}`).catch(() => undefined);
    }
  });

  async function setUp(): Promise<NatsEventSink> {
    store = await SqliteStore.create(':memory:');
    bus = new MemoryBus();
    const names = uniqueNames('relay');
    streams.push(names.streamName);
    return NatsEventSink.create({ connection: nc, storage: 'memory', ...names });
  }

  async function append(events: NewEvent[]): Promise<void> {
    await store.appendEvents({ events, nowMs: Date.now() });
    await bus.publish({ topic: 'events.appended', data: {} });
  }

  it('publishes the log in order, woken by events.appended (the poll is a minute away)', async () => {
    const sink = await setUp();
    await store.appendEvents({ events: taskEvents(3), nowMs: 1 });
    const stop = run(new EventRelay({ store, bus, sink, logger: silentLogger }, { ...FAST, batchSize: 2 }));
    try {
      await eventually(async () => (await seqsInStream(jsm, sink.streamName)).length === 3, 5_000, 'the backlog');
      await append(taskEvents(4, 3));
      await eventually(async () => (await seqsInStream(jsm, sink.streamName)).length === 7, 5_000, 'the new events');
      expect(await seqsInStream(jsm, sink.streamName)).toEqual(range(1, 7));
    } finally {
      await stop();
    }
  });

  it('resumes after the last event in the stream when restarted, publishing nothing twice', async () => {
    const sink = await setUp();
    await store.appendEvents({ events: taskEvents(5), nowMs: 1 });
    const first = new EventRelay({ store, bus, sink, logger: silentLogger }, FAST);
    expect(await first.runOnce()).toMatchObject({ stored: 5, duplicates: 0, cursor: 5, error: null });
    await store.appendEvents({ events: taskEvents(3, 5), nowMs: 2 });
    // A new process: nothing in memory, the cursor comes from the stream.
    const second = new EventRelay({ store, bus, sink, logger: silentLogger }, FAST);
    expect(await second.runOnce()).toMatchObject({ stored: 3, duplicates: 0, cursor: 8, error: null });
    expect(await seqsInStream(jsm, sink.streamName)).toEqual(range(1, 8));
  });

  it('several replicas relaying at once leave each event once, in order', async () => {
    const sink = await setUp();
    const stops = [1, 2, 3].map(() => run(new EventRelay({ store, bus, sink, logger: silentLogger }, { ...FAST, batchSize: 7 })));
    try {
      for (let round = 0; round < 5; round++) await append(taskEvents(10, round * 10));
      await eventually(async () => (await jsm.streams.info(sink.streamName)).state.messages >= 50, 10_000, '50 events');
      await new Promise((r) => setTimeout(r, 200));
      expect(await seqsInStream(jsm, sink.streamName)).toEqual(range(1, 50));
    } finally {
      for (const stop of stops) await stop();
    }
  });

  it('waits for a seq that is not visible yet, then publishes in order', async () => {
    const sink = await setUp();
    await store.appendEvents({ events: taskEvents(5), nowMs: 1 });
    // Seq 3 is "not committed yet" (as a slow PostgreSQL transaction would leave it).
    const hidden = new Set([3]);
    const view = {
      readEvents: async (i: Parameters<SqliteStore['readEvents']>[0]) => (await store.readEvents(i)).filter((e) => !hidden.has(e.seq)),
      lastEventSeq: () => store.lastEventSeq(),
    };
    const relay = new EventRelay({ store: view, bus, sink, logger: silentLogger }, { ...FAST, gapWaitMs: 60_000 });
    expect(await relay.runOnce()).toMatchObject({ stored: 2, cursor: 2, waitingOnGap: true });
    expect(await relay.runOnce()).toMatchObject({ stored: 0, cursor: 2, waitingOnGap: true });
    hidden.clear();
    expect(await relay.runOnce()).toMatchObject({ stored: 3, cursor: 5, waitingOnGap: false });
    expect(await seqsInStream(jsm, sink.streamName)).toEqual(range(1, 5));
  });

  it('moves past a seq that never appears after gapWaitMs', async () => {
    const sink = await setUp();
    await store.appendEvents({ events: taskEvents(4), nowMs: 1 });
    const view = {
      readEvents: async (i: Parameters<SqliteStore['readEvents']>[0]) => (await store.readEvents(i)).filter((e) => e.seq !== 2),
      lastEventSeq: () => store.lastEventSeq(),
    };
    const relay = new EventRelay({ store: view, bus, sink, logger: silentLogger }, { ...FAST, gapWaitMs: 200 });
    expect(await relay.runOnce()).toMatchObject({ stored: 1, cursor: 1, waitingOnGap: true });
    await new Promise((r) => setTimeout(r, 250));
    expect(await relay.runOnce()).toMatchObject({ stored: 2, cursor: 4, waitingOnGap: false });
    expect(await seqsInStream(jsm, sink.streamName)).toEqual([1, 3, 4]);
  });

  it("startFrom 'latest' skips the history when the stream never held an event", async () => {
    const sink = await setUp();
    await store.appendEvents({ events: taskEvents(4), nowMs: 1 });
    const relay = new EventRelay({ store, bus, sink, logger: silentLogger }, { ...FAST, startFrom: 'latest' });
    expect(await relay.runOnce()).toMatchObject({ stored: 0, cursor: 4 });
    await store.appendEvents({ events: taskEvents(2, 4), nowMs: 2 });
    expect(await relay.runOnce()).toMatchObject({ stored: 2, cursor: 6 });
    expect(await seqsInStream(jsm, sink.streamName)).toEqual([5, 6]);
  });
});

describe.skipIf(!available)('EventRelay with a real HQ on the NATS bus', () => {
  it('a submitted task shows up on <prefix>.events.task.created in the stream', async () => {
    const { subjectPrefix, streamName } = uniqueNames('hq');
    const store = await SqliteStore.create(':memory:');
    const bus = await NatsBus.connect({ servers: TEST_NATS_URL, subjectPrefix });
    const h = await createHqHarness({ store, bus });
    const jsm = await jetstreamManager(bus.connection);
    let stop: (() => Promise<void>) | null = null;
    try {
      const sink = await NatsEventSink.create({ connection: bus.connection, subjectPrefix, streamName, storage: 'memory' });
      const relay = new EventRelay({ store, bus, sink, logger: silentLogger }, FAST);
      stop = run(relay);
      const task = await h.submit({ prompt: 'relay me' });
      const lastSeq = await store.lastEventSeq();
      await eventually(() => relay.position === lastSeq, 5_000, 'the relay to reach the last event');
      const m = await jsm.streams.getMessage(streamName, { last_by_subj: `${subjectPrefix}.events.task.created` });
      expect(m?.json<EventMessage>()).toMatchObject({ type: 'task.created', taskId: task.id });
    } finally {
      if (stop !== null) await stop();
      await jsm.streams.delete(streamName).catch(() => undefined);
      await jsm.streams.delete(`KV_${relayBucketName(streamName)}`).catch(() => undefined);
      await h.close();
    }
  });
});

describe.skipIf(!available || NATS_SERVER_BIN === null)('EventRelay across a NATS outage', () => {
  it('events written while NATS is down are published once it is back: none lost, none twice', async () => {
    const server = await PrivateNatsServer.start();
    const store = await SqliteStore.create(':memory:');
    const { subjectPrefix, streamName } = uniqueNames('outage');
    const bus = await NatsBus.connect({ servers: server.url, subjectPrefix, reconnectTimeWaitMs: 50 });
    let stop: (() => Promise<void>) | null = null;
    try {
      const sink = await NatsEventSink.create({ connection: bus.connection, subjectPrefix, streamName, publishTimeoutMs: 500 });
      const jsmOfBus = await jetstreamManager(bus.connection);
      const warnings: string[] = [];
      const logger: Logger = { ...silentLogger, warn: (_o, msg) => warnings.push(msg), child: () => logger };
      const relay = new EventRelay({ store, bus, sink, logger }, { ...FAST, pollIntervalMs: 100 });
      stop = run(relay);
      const append = async (events: NewEvent[]): Promise<void> => {
        await store.appendEvents({ events, nowMs: Date.now() });
        await bus.publish({ topic: 'events.appended', data: {} });
      };
      await append(taskEvents(5));
      await eventually(() => relay.position === 5, 5_000, 'the first five events');
      // kill -9: the stream is on disk; whatever the server had acknowledged survives.
      await server.down(true);
      await append(taskEvents(5, 5));
      // A publish while disconnected fails after publishTimeoutMs; the relay retries with backoff.
      await eventually(() => warnings.includes('event relay publish failed; will retry'), 5_000, 'a failed publish');
      await append(taskEvents(5, 10));
      await new Promise((r) => setTimeout(r, 300));
      expect(relay.position).toBe(5);
      await server.up();
      await eventually(() => relay.position === 15, 15_000, 'the relay to catch up after the restart');
      expect(await seqsInStream(jsmOfBus, streamName)).toEqual(range(1, 15));
    } finally {
      if (stop !== null) await stop();
      await bus.close();
      await store.close();
      await server.dispose();
    }
  });
});

if (!available) {
  describe('EventRelay', () => {
    it.skip(`skipped: no NATS at ${TEST_NATS_URL}`, () => undefined);
  });
}
