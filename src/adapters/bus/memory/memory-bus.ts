import type { Bus, BusMessage, BusTopic } from '../../../core/ports/bus.js';
import { silentLogger, type Logger } from '../../../core/ports/logger.js';

type Handler = (message: BusMessage) => void;

/**
 * In-process bus: every message is handed to the topic's current subscribers before `publish`
 * resolves. A handler that throws is logged and skipped; the others still get the message.
 * After `close()` publishing is a no-op and subscriptions are dropped.
 */
export class MemoryBus implements Bus {
  private readonly handlers = new Map<BusTopic, Set<Handler>>();
  private closed = false;

  constructor(private readonly logger: Logger = silentLogger) {}

  publish(message: BusMessage): Promise<void> {
    if (this.closed) return Promise.resolve();
    const subscribers = this.handlers.get(message.topic);
    if (subscribers === undefined) return Promise.resolve();
    for (const handler of [...subscribers]) {
      if (!subscribers.has(handler)) continue;
      try {
        handler(message);
      } catch (e) {
        this.logger.error(
          { topic: message.topic, err: e instanceof Error ? e.message : String(e) },
          'bus handler threw; message dropped for it',
        );
      }
    }
    return Promise.resolve();
  }

  subscribe(topic: BusTopic, handler: Handler): () => void {
    if (this.closed) return () => undefined;
    let set = this.handlers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    const wrapped: Handler = (m) => handler(m);
    set.add(wrapped);
    return () => {
      this.handlers.get(topic)?.delete(wrapped);
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    return Promise.resolve();
  }
}
