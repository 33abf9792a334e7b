/**
 * A single-consumer async queue with back-pressure: `onFull` is called when more than
 * `highWater` items wait, `onDrained` when the consumer has caught up. When the consumer stops
 * iterating early, further items are discarded (and the producer is released).
 */
export class LineQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private ended = false;
  private discarding = false;
  private full = false;
  private waiter: (() => void) | null = null;

  constructor(
    private readonly hooks: { onFull: () => void; onDrained: () => void },
    private readonly highWater = 1000,
  ) {}

  push(item: T): void {
    if (this.ended || this.discarding) return;
    this.items.push(item);
    if (!this.full && this.items.length >= this.highWater) {
      this.full = true;
      this.hooks.onFull();
    }
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private release(): void {
    if (this.full && (this.discarding || this.items.length <= this.highWater / 2)) {
      this.full = false;
      this.hooks.onDrained();
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        const next = this.items.shift();
        if (next !== undefined) {
          this.release();
          yield next;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.waiter = resolve;
        });
      }
    } finally {
      this.discarding = true;
      this.items.length = 0;
      this.release();
    }
  }
}
