/**
 * The bus carries wake-ups and live event fan-out between parts of HQ (and later between HQ
 * replicas over NATS). It is never the source of truth: the store is. A lost message costs
 * latency, never correctness (loops are level-based and poll as a fallback).
 */
export const BUS_TOPICS = ['tasks.queued', 'tasks.changed', 'nodes.changed', 'events.appended', 'killswitch.changed'] as const;
export type BusTopic = (typeof BUS_TOPICS)[number];

export interface BusMessage {
  readonly topic: BusTopic;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Bus {
  publish(message: BusMessage): Promise<void>;
  /** Returns an unsubscribe function. Handlers must not throw; errors are logged and dropped. */
  subscribe(topic: BusTopic, handler: (message: BusMessage) => void): () => void;
  close(): Promise<void>;
}
