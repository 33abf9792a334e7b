import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import type { StoredEvent } from '../../../core/events.js';
import type { EventSink, EventSinkResult } from '../../../core/ports/event-sink.js';
import { silentLogger, type Logger } from '../../../core/ports/logger.js';
import { ensureEventStream, EventStreamOptions, type EventStreamOptionsInput } from './nats-event-stream.js';
import { eventSubject } from './nats-subjects.js';

const PublishTimeoutMs = z.number().int().min(100).max(120_000).default(5_000);
const CURSOR_KEY = 'published-seq';
/** The JetStream header carrying the message id (the event's seq). */
export const MSG_ID_HEADER = 'Nats-Msg-Id';

/** What a message on `<prefix>.events.<type>` holds: the stored event as JSON. */
export interface EventMessage {
  readonly seq: number;
  readonly at: number;
  readonly type: string;
  readonly taskId: string | null;
  readonly nodeId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The EventSink on JetStream: stream `CORTICAL_EVENTS` (subjects `<prefix>.events.>`), one
 * message per event on `<prefix>.events.<type>` with `Nats-Msg-Id` = the event's seq, so the
 * server drops a re-publish within the duplicate window. The relay's position is also kept in a
 * KV bucket `<stream>_RELAY` (history 1, no age limit): it survives events aging out of the
 * stream, so a relay restarting on a long-idle fleet neither re-publishes nor skips anything.
 */
export class NatsEventSink implements EventSink {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly kv: KV,
    readonly options: EventStreamOptions,
    private readonly publishTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** Create or update the stream and the cursor bucket, idempotently. */
  static async create(
    input: EventStreamOptionsInput & { connection: NatsConnection; publishTimeoutMs?: number | undefined; logger?: Logger | undefined },
  ): Promise<NatsEventSink> {
    const { connection, publishTimeoutMs, logger: inputLogger, ...rest } = input;
    const parsed = EventStreamOptions.safeParse(rest);
    if (!parsed.success) throw new Error(`invalid NATS event stream options: ${z.prettifyError(parsed.error)}`);
    const timeout = PublishTimeoutMs.safeParse(publishTimeoutMs);
    if (!timeout.success) throw new Error(`invalid publishTimeoutMs: ${z.prettifyError(timeout.error)}`);
    const logger = (inputLogger ?? silentLogger).child({ component: 'nats-event-sink' });
    const jsm = await jetstreamManager(connection);
    await ensureEventStream(jsm, parsed.data, logger);
    const kv = await new Kvm(connection).create(relayBucketName(parsed.data.streamName), { history: 1 });
    return new NatsEventSink(jetstream(connection), jsm, kv, parsed.data, timeout.data, logger);
  }

  get streamName(): string {
    return this.options.streamName;
  }

  async lastSeq(): Promise<number> {
    const [inStream, inBucket] = await Promise.all([this.lastSeqInStream(), this.lastSeqInBucket()]);
    return Math.max(inStream, inBucket);
  }

  async publish(events: readonly StoredEvent[]): Promise<EventSinkResult> {
    let stored = 0;
    let duplicates = 0;
    let error: string | null = null;
    for (const e of events) {
      const body: EventMessage = { seq: e.seq, at: e.at, type: e.type, taskId: e.taskId, nodeId: e.nodeId, data: e.data };
      try {
        const ack = await this.js.publish(eventSubject(this.options.subjectPrefix, e.type), JSON.stringify(body), {
          msgID: String(e.seq),
          timeout: this.publishTimeoutMs,
        });
        if (ack.duplicate) duplicates += 1;
        stored += 1;
      } catch (err) {
        error = `event ${e.seq} (${e.type}): ${err instanceof Error ? err.message : String(err)}`;
        break;
      }
    }
    const last = stored > 0 ? events[stored - 1] : undefined;
    if (last !== undefined) await this.saveCursor(last.seq);
    return { stored, duplicates, error };
  }

  /** The seq of the stream's newest message (0 when the stream holds none). */
  private async lastSeqInStream(): Promise<number> {
    const info = await this.jsm.streams.info(this.options.streamName);
    if (info.state.messages === 0) return 0;
    const msg = await this.jsm.streams.getMessage(this.options.streamName, { seq: info.state.last_seq });
    if (msg === null) return 0;
    const fromHeader = Number(msg.header?.get(MSG_ID_HEADER));
    if (Number.isSafeInteger(fromHeader) && fromHeader > 0) return fromHeader;
    this.logger.warn({ stream: this.options.streamName, streamSeq: msg.seq, subject: msg.subject }, 'newest stream message has no event seq id; ignored');
    return 0;
  }

  private async lastSeqInBucket(): Promise<number> {
    const entry = await this.kv.get(CURSOR_KEY);
    if (entry === null || entry.operation !== 'PUT') return 0;
    const n = Number(entry.string());
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  }

  /** Move the bucket's cursor forward (never back; a lost race with another relay is fine). */
  private async saveCursor(seq: number): Promise<void> {
    try {
      const entry = await this.kv.get(CURSOR_KEY);
      if (entry === null || entry.operation !== 'PUT') {
        await this.kv.create(CURSOR_KEY, String(seq));
        return;
      }
      const current = Number(entry.string());
      if (Number.isSafeInteger(current) && current >= seq) return;
      await this.kv.update(CURSOR_KEY, String(seq), entry.revision);
    } catch (e) {
      this.logger.debug({ seq, err: e instanceof Error ? e.message : String(e) }, 'relay cursor not saved (another relay moved it, or NATS is down)');
    }
  }
}

export function relayBucketName(streamName: string): string {
  return `${streamName}_RELAY`;
}
