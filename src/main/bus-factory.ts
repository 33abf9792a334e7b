/**
 * Builds HQ's bus from its settings: the in-process memory bus (single preset), or NATS plus the
 * JetStream event sink that the event relay copies the store's events into (cluster).
 */
import { hostname } from 'node:os';
import { MemoryBus } from '../adapters/bus/memory/memory-bus.js';
import { NatsBus } from '../adapters/bus/nats/nats-bus.js';
import { NatsEventSink } from '../adapters/bus/nats/nats-event-sink.js';
import type { Bus } from '../core/ports/bus.js';
import type { EventSink } from '../core/ports/event-sink.js';
import type { Logger } from '../core/ports/logger.js';
import type { BusSetting } from './hq-settings.js';
import { redactSecrets } from './redact.js';

export interface BuiltBus {
  readonly bus: Bus;
  /** Where the event relay publishes (cluster), or null (single: no relay). */
  readonly sink: EventSink | null;
  /** The servers, with secrets masked (for logs). */
  readonly display: string;
}

export async function createBus(setting: BusSetting, logger: Logger): Promise<BuiltBus> {
  if (setting.kind === 'memory') return { bus: new MemoryBus(logger), sink: null, display: 'memory' };
  const display = setting.servers.map(redactSecrets).join(',');
  let bus: NatsBus;
  try {
    bus = await NatsBus.connect({
      servers: [...setting.servers],
      name: `cortical-hq ${hostname()} pid ${process.pid}`,
      subjectPrefix: setting.subjectPrefix,
      logger,
    });
  } catch (e) {
    // NatsBus's message names the servers and the reason; only the secrets are masked here.
    throw new Error(redactSecrets(e instanceof Error ? e.message : `cannot connect to NATS at ${display}: ${String(e)}`), { cause: e });
  }
  try {
    const sink = await NatsEventSink.create({
      connection: bus.connection,
      subjectPrefix: setting.subjectPrefix,
      streamName: setting.streamName,
      logger,
    });
    return { bus, sink, display };
  } catch (e) {
    await bus.close();
    throw new Error(`cannot set up the JetStream event stream ${setting.streamName} on NATS at ${display} (is JetStream enabled?): ${redactSecrets(causeText(e))}`, { cause: e });
  }
}

function causeText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const inner = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${inner}`;
}
