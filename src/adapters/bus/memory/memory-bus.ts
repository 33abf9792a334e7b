import type { Bus, BusMessage, BusTopic } from '../../../core/ports/bus.js';
import { silentLogger, type Logger } from '../../../core/ports/logger.js';
import { LocalFanout, type BusHandler } from '../local-fanout.js';

/**
 * In-process bus: every message is handed to the topic's current subscribers before `publish`
 * resolves. A handler that throws is logged and skipped; the others still get the message.
 * After `close()` publishing is a no-op and subscriptions are dropped.
 */
export class MemoryBus implements Bus {
  private readonly fanout: LocalFanout;
  private closed = false;

  constructor(logger: Logger = silentLogger) {
    this.fanout = new LocalFanout(logger);
  }

  publish(message: BusMessage): Promise<void> {
    if (!this.closed) this.fanout.deliver(message);
    return Promise.resolve();
  }

  subscribe(topic: BusTopic, handler: BusHandler): () => void {
    if (this.closed) return () => undefined;
    return this.fanout.subscribe(topic, handler);
  }

  close(): Promise<void> {
    this.closed = true;
    this.fanout.clear();
    return Promise.resolve();
  }
}
