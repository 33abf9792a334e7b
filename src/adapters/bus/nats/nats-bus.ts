import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { BUS_TOPICS, type Bus, type BusMessage, type BusTopic } from '../../../core/ports/bus.js';
import { silentLogger, type Logger } from '../../../core/ports/logger.js';
import { LocalFanout, type BusHandler as Handler } from '../local-fanout.js';
import { busSubject, busTopicFromSubject, SubjectPrefix } from './nats-subjects.js';


export const NatsBusOptions = z.object({
  /** `nats://host:port` or `host:port`, one or several (the client fails over between them). */
  servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Client name shown by the server's monitoring (e.g. the replica's host name). */
  name: z.string().min(1).max(200).optional(),
  subjectPrefix: SubjectPrefix.default('cortical'),
  /** How long the first connection may take before `connect` fails. */
  connectTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
  /** Wait between reconnect attempts (the client retries for ever). */
  reconnectTimeWaitMs: z.number().int().min(10).max(60_000).default(1_000),
  /** Longest `close()` waits for the drain before closing hard. */
  drainTimeoutMs: z.number().int().min(10).max(60_000).default(5_000),
});
export type NatsBusOptions = z.input<typeof NatsBusOptions>;

const BusPayload = z.record(z.string(), z.unknown());

/**
 * The Bus over core NATS, so that several HQ replicas wake each other up. Topic `T` is the
 * subject `<prefix>.bus.T`; the payload is the message's `data` as JSON.
 *
 * - A message is handed to this instance's own subscribers before `publish` resolves (as with
 *   the memory bus), then sent to the server; the connection uses `noEcho`, so the server does
 *   not send it back and local subscribers see it once.
 * - While the connection is down (the client reconnects for ever), local delivery goes on and the
 *   remote copy is dropped and counted, never buffered or thrown: the store is the truth and
 *   every loop polls. After a reconnect one wake-up per topic is sent (and delivered locally),
 *   so peers and local loops re-check at once instead of at their next poll.
 * - A throwing handler is logged and skipped; malformed messages from the network are dropped.
 * - `close()` drains the connection (bounded by `drainTimeoutMs`).
 */
export class NatsBus implements Bus {
  private readonly fanout: LocalFanout;
  private closed = false;
  private closing: Promise<void> | null = null;
  private connected = true;
  private droppedWhileDown = 0;

  private constructor(
    /** The live connection (the event sink may share it). */
    readonly connection: NatsConnection,
    readonly subjectPrefix: string,
    private readonly logger: Logger,
    private readonly drainTimeoutMs: number,
  ) {
    this.fanout = new LocalFanout(logger);
  }

  /** Connect (failing with a clear error when no server answers) and subscribe to the bus. */
  static async connect(input: NatsBusOptions & { logger?: Logger | undefined }): Promise<NatsBus> {
    const parsed = NatsBusOptions.safeParse(input);
    if (!parsed.success) throw new Error(`invalid NATS bus options: ${z.prettifyError(parsed.error)}`);
    const opts = parsed.data;
    const logger = (input.logger ?? silentLogger).child({ component: 'nats-bus' });
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: opts.servers,
        name: opts.name,
        noEcho: true,
        timeout: opts.connectTimeoutMs,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: opts.reconnectTimeWaitMs,
        waitOnFirstConnect: false,
      });
    } catch (e) {
      const servers = Array.isArray(opts.servers) ? opts.servers.join(', ') : opts.servers;
      throw new Error(`cannot connect to NATS at ${servers}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const bus = new NatsBus(nc, opts.subjectPrefix, logger, opts.drainTimeoutMs);
    nc.subscribe(`${opts.subjectPrefix}.bus.>`, { callback: (err, msg) => bus.onMessage(err, msg) });
    void bus.watchStatus();
    // The subscription is registered with the server before peers are told this replica is up.
    await nc.flush();
    logger.info({ server: nc.getServer(), subjectPrefix: opts.subjectPrefix }, 'connected to NATS');
    return bus;
  }

  /** Whether the connection to a server is up now. */
  isConnected(): boolean {
    return this.connected && !this.closed;
  }

  publish(message: BusMessage): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!(BUS_TOPICS as readonly string[]).includes(message.topic)) {
      this.logger.warn({ topic: message.topic }, 'bus publish to an unknown topic dropped');
      return Promise.resolve();
    }
    this.deliverLocally(message);
    this.sendRemote(message);
    return Promise.resolve();
  }

  subscribe(topic: BusTopic, handler: Handler): () => void {
    if (this.closed) return () => undefined;
    return this.fanout.subscribe(topic, handler);
  }

  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    this.fanout.clear();
    this.closing = this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    if (this.connection.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.drainTimeoutMs);
    });
    try {
      const r = await Promise.race([this.connection.drain().then(() => 'drained' as const), timeout]);
      if (r === 'timeout') {
        this.logger.warn({ timeoutMs: this.drainTimeoutMs }, 'NATS drain timed out; closing');
        await this.connection.close();
      }
    } catch (e) {
      this.logger.debug({ err: e instanceof Error ? e.message : String(e) }, 'NATS drain failed; closing');
      await this.connection.close().catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  private sendRemote(message: BusMessage): void {
    if (!this.connected) {
      this.droppedWhileDown += 1;
      return;
    }
    try {
      this.connection.publish(busSubject(this.subjectPrefix, message.topic), JSON.stringify(message.data));
    } catch (e) {
      this.logger.warn({ topic: message.topic, err: e instanceof Error ? e.message : String(e) }, 'NATS publish failed; wake-up dropped');
    }
  }

  private onMessage(err: Error | null, msg: Msg): void {
    if (err !== null) {
      if (!this.closed) this.logger.warn({ err: err.message }, 'NATS bus subscription error');
      return;
    }
    if (this.closed) return;
    const topic = busTopicFromSubject(this.subjectPrefix, msg.subject);
    if (topic === null) {
      this.logger.debug({ subject: msg.subject }, 'message on an unknown bus subject dropped');
      return;
    }
    let data: Record<string, unknown>;
    try {
      const parsed = BusPayload.safeParse(msg.data.length === 0 ? {} : msg.json());
      if (!parsed.success) throw new Error('payload is not a JSON object');
      data = parsed.data;
    } catch (e) {
      this.logger.warn({ subject: msg.subject, err: e instanceof Error ? e.message : String(e) }, 'malformed bus message dropped');
      return;
    }
    this.deliverLocally({ topic, data });
  }

  private deliverLocally(message: BusMessage): void {
    this.fanout.deliver(message);
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.connection.status()) {
      if (this.closed) continue;
      if (s.type === 'disconnect') {
        this.connected = false;
        this.logger.warn({ server: s.server }, 'NATS disconnected; wake-ups to other replicas are dropped until it is back');
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.logger.info({ server: s.server, droppedWhileDown: this.droppedWhileDown }, 'NATS reconnected');
        this.droppedWhileDown = 0;
        for (const topic of BUS_TOPICS) void this.publish({ topic, data: { reconnected: true } });
      } else if (s.type === 'error') {
        this.logger.warn({ err: s.error.message }, 'NATS error');
      }
    }
  }
}
