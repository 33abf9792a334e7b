import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent, StoredEvent } from '../../../core/events.js';
import { SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { MSG_ID_HEADER, NatsEventSink, relayBucketName, type EventMessage } from './nats-event-sink.js';
import { natsAvailable, TEST_NATS_URL, uniqueNames } from './nats-test-support.js';

const available = await natsAvailable();

/** Real stored events: appended to a SQLite store and read back. */
async function storedEvents(events: readonly NewEvent[]): Promise<readonly StoredEvent[]> {
  const store = await SqliteStore.create(':memory:');
  try {
    await store.appendEvents({ events, nowMs: 1_000 });
    return await store.readEvents({ afterSeq: 0, limit: 1_000 });
  } finally {
    await store.close();
  }
}

const SAMPLE: readonly NewEvent[] = [
  { type: 'task.created', taskId: 't1', nodeId: null, data: { title: 'one' } },
  { type: 'task.leased', taskId: 't1', nodeId: 'n1', data: {} },
  { type: 'iteration.finished', taskId: 't1', nodeId: 'n1', data: { n: 1 } },
  { type: 'node.joined', taskId: null, nodeId: 'n2', data: {} },
  { type: 'task.control-requested', taskId: 't1', nodeId: null, data: { action: 'pause' } },
];

describe.skipIf(!available)('NatsEventSink (JetStream)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  afterEach(async () => {
    for (const name of streams.splice(0)) {
      await jsm.streams.delete(name).catch(() => undefined);
      await jsm.streams.delete(`KV_${relayBucketName(name)}`).catch(() => undefined);
    }
  });
  afterAll(async () => {
    await nc.close();
  });

  async function sink(extra: Partial<Parameters<typeof NatsEventSink.create>[0]> = {}): Promise<NatsEventSink> {
    const names = uniqueNames('sink');
    streams.push(extra.streamName ?? names.streamName);
    return NatsEventSink.create({ connection: nc, storage: 'memory', ...names, ...extra });
  }

  it('creates the stream idempotently with the configured limits, and updates changed limits', async () => {
    const names = uniqueNames('cfg');
    streams.push(names.streamName);
    await NatsEventSink.create({ connection: nc, ...names, storage: 'memory', maxAgeMs: 3_600_000, maxBytes: 8 * 1024 * 1024, duplicateWindowMs: 60_000 });
    await NatsEventSink.create({ connection: nc, ...names, storage: 'memory', maxAgeMs: 3_600_000, maxBytes: 8 * 1024 * 1024, duplicateWindowMs: 60_000 });
    const first = await jsm.streams.info(names.streamName);
    expect(first.config.subjects).toEqual([`${names.subjectPrefix}.events.>`]);
    expect(first.config.max_age).toBe(nanos(3_600_000));
    expect(first.config.max_bytes).toBe(8 * 1024 * 1024);
    expect(first.config.duplicate_window).toBe(nanos(60_000));
    expect(first.config.discard).toBe('old');
    await NatsEventSink.create({ connection: nc, ...names, storage: 'memory', maxAgeMs: 7_200_000, maxBytes: 16 * 1024 * 1024, duplicateWindowMs: 120_000 });
    const second = await jsm.streams.info(names.streamName);
    expect(second.config.max_age).toBe(nanos(7_200_000));
    expect(second.config.max_bytes).toBe(16 * 1024 * 1024);
    expect(second.config.duplicate_window).toBe(nanos(120_000));
    expect(second.created).toEqual(first.created);
  });

  it('the defaults: CORTICAL_EVENTS on cortical.events.>, 7 days, 1 GiB, 10 minute duplicate window', async () => {
    const { wantedStreamConfig, EventStreamOptions } = await import('./nats-event-stream.js');
    const want = wantedStreamConfig(EventStreamOptions.parse({}));
    expect(want).toMatchObject({
      name: 'CORTICAL_EVENTS',
      subjects: ['cortical.events.>'],
      max_age: nanos(7 * 24 * 3_600_000),
      max_bytes: 1024 ** 3,
      duplicate_window: nanos(600_000),
      storage: 'file',
    });
  });

  it('rejects bad options with what was wrong', async () => {
    await expect(NatsEventSink.create({ connection: nc, streamName: 'has space' })).rejects.toThrow(/invalid NATS event stream options: [\s\S]*streamName/);
    await expect(NatsEventSink.create({ connection: nc, maxAgeMs: 60_000, duplicateWindowMs: 120_000 })).rejects.toThrow(/duplicateWindowMs must not exceed maxAgeMs/);
  });

  it('publishes each event on a subject named after it, with the seq as message id, and drops re-publishes', async () => {
    const s = await sink();
    const events = await storedEvents(SAMPLE);
    expect(await s.lastSeq()).toBe(0);
    expect(await s.publish(events)).toEqual({ stored: 5, duplicates: 0, error: null });
    // A relay that crashed before it saw the acks publishes the same events again.
    expect(await s.publish(events)).toEqual({ stored: 5, duplicates: 5, error: null });
    expect(await s.publish(events.slice(2, 3))).toEqual({ stored: 1, duplicates: 1, error: null });
    const info = await jsm.streams.info(s.streamName);
    expect(info.state.messages).toBe(5);
    const subjects: string[] = [];
    for (let seq = 1; seq <= 5; seq++) {
      const m = await jsm.streams.getMessage(s.streamName, { seq });
      if (m === null) throw new Error(`no message ${seq}`);
      subjects.push(m.subject.slice(s.options.subjectPrefix.length + 1));
      const body = m.json<EventMessage>();
      expect(m.header.get(MSG_ID_HEADER)).toBe(String(body.seq));
      expect(body).toEqual({ ...events[seq - 1] });
    }
    expect(subjects).toEqual(['events.task.created', 'events.task.leased', 'events.iteration.finished', 'events.node.joined', 'events.task.control-requested']);
    expect(await s.lastSeq()).toBe(events[4]?.seq);
  });

  it('remembers its position after the events left the stream (aged out or purged)', async () => {
    const s = await sink();
    const events = await storedEvents(SAMPLE);
    await s.publish(events);
    await jsm.streams.purge(s.streamName);
    expect((await jsm.streams.info(s.streamName)).state.messages).toBe(0);
    expect(await s.lastSeq()).toBe(events[4]?.seq);
  });

  it('a durable pull consumer reads the feed from the start, in order, and resumes where it acked', async () => {
    const s = await sink();
    const events = await storedEvents([...SAMPLE, ...SAMPLE]);
    await s.publish(events);
    await jsm.consumers.add(s.streamName, {
      durable_name: 'audit-export',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${s.options.subjectPrefix}.events.task.>`,
    });
    const consumer = await jetstream(nc).consumers.get(s.streamName, 'audit-export');
    const read = async (max: number): Promise<number[]> => {
      const seqs: number[] = [];
      const batch = await consumer.fetch({ max_messages: max, expires: 1_000 });
      for await (const m of batch) {
        seqs.push(m.json<EventMessage>().seq);
        m.ack();
        if (seqs.length === max) break;
      }
      return seqs;
    };
    const taskSeqs = events.filter((e) => e.type.startsWith('task.')).map((e) => e.seq);
    const firstPart = await read(3);
    expect(firstPart).toEqual(taskSeqs.slice(0, 3));
    // The consumer is durable: a later fetch continues after the acked messages.
    const rest = await read(taskSeqs.length - 3);
    expect(rest).toEqual(taskSeqs.slice(3));
  });

  it('reports a failed publish instead of throwing', async () => {
    const own = await connect({ servers: TEST_NATS_URL });
    const names = uniqueNames('fail');
    streams.push(names.streamName);
    const s = await NatsEventSink.create({ connection: own, storage: 'memory', ...names, publishTimeoutMs: 500 });
    await own.close();
    const events = await storedEvents(SAMPLE);
    const r = await s.publish(events);
    expect(r.stored).toBe(0);
    expect(r.error).toMatch(/^event 1 \(task\.created\): /);
  });
});

if (!available) {
  describe('NatsEventSink', () => {
    it.skip(`skipped: no NATS at ${TEST_NATS_URL}`, () => undefined);
  });
}
