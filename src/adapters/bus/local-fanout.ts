import type { BusMessage, BusTopic } from '../../core/ports/bus.js';
import type { Logger } from '../../core/ports/logger.js';

export type BusHandler = (message: BusMessage) => void;

/**
 * The in-process half of every bus: subscribers per topic, and delivery to them. A handler that
 * throws is logged and skipped; the others still get the message. A handler removed during a
 * delivery (by another handler) does not get that message.
 */
export class LocalFanout {
  private readonly handlers = new Map<BusTopic, Set<BusHandler>>();

  constructor(private readonly logger: Logger) {}

  subscribe(topic: BusTopic, handler: BusHandler): () => void {
    let set = this.handlers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    const wrapped: BusHandler = (m) => handler(m);
    set.add(wrapped);
    return () => {
      this.handlers.get(topic)?.delete(wrapped);
    };
  }

  deliver(message: BusMessage): void {
    const subscribers = this.handlers.get(message.topic);
    if (subscribers === undefined) return;
    for (const handler of [...subscribers]) {
      if (!subscribers.has(handler)) continue;
      try {
        handler(message);
      } catch (e) {
        this.logger.error({ topic: message.topic, err: e instanceof Error ? e.message : String(e) }, 'bus handler threw; message dropped for it');
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}
