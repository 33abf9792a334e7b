/**
 * A binary min-heap ordered by a caller-supplied `less`. The scheduler keeps nodes (by load) and
 * capability groups (by their least-loaded node) in these.
 *
 * `less` must be a strict weak order over the items currently in the heap. When an item's key
 * grows while it sits at the top, call `siftTop()` to restore the order; `replaceTop()` swaps the
 * top for a new item in one step.
 */
export class MinHeap<T> {
  private readonly items: T[];
  private readonly less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean, initial: Iterable<T> = []) {
    this.less = less;
    this.items = Array.from(initial);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  get size(): number {
    return this.items.length;
  }

  /** The least item, or undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.siftUp(this.items.length - 1);
  }

  /** Removes and returns the least item, or undefined when empty. */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Replaces the top with `item` and restores the order. Same as pop then push, but cheaper. */
  replaceTop(item: T): void {
    if (this.items.length === 0) {
      this.items.push(item);
      return;
    }
    this.items[0] = item;
    this.siftDown(0);
  }

  /** Restores the order after the top item's key grew. */
  siftTop(): void {
    if (this.items.length > 1) this.siftDown(0);
  }

  /** The items in heap order (not sorted). */
  toArray(): T[] {
    return this.items.slice();
  }

  private siftUp(start: number): void {
    const items = this.items;
    const item = items[start] as T;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!this.less(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  private siftDown(start: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[start] as T;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      let c = items[left] as T;
      if (right < n) {
        const r = items[right] as T;
        if (this.less(r, c)) {
          child = right;
          c = r;
        }
      }
      if (!this.less(c, item)) break;
      items[i] = c;
      i = child;
    }
    items[i] = item;
  }
}
