import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from './min-heap.js';

const lessNum = (a: number, b: number): boolean => a < b;

function drain(heap: MinHeap<number>): number[] {
  const out: number[] = [];
  for (let x = heap.pop(); x !== undefined; x = heap.pop()) out.push(x);
  return out;
}

describe('MinHeap', () => {
  it('empty heap', () => {
    const heap = new MinHeap(lessNum);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
  });

  it('replaceTop on an empty heap inserts', () => {
    const heap = new MinHeap(lessNum);
    heap.replaceTop(3);
    expect(heap.toArray()).toEqual([3]);
  });

  it('pops in order, built from an array or by pushes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (xs) => {
        const sorted = xs.slice().sort((a, b) => a - b);
        expect(drain(new MinHeap(lessNum, xs))).toEqual(sorted);
        const pushed = new MinHeap(lessNum);
        for (const x of xs) pushed.push(x);
        expect(pushed.size).toBe(xs.length);
        expect(drain(pushed)).toEqual(sorted);
      }),
    );
  });

  it('keeps order when the top key grows (siftTop) or is replaced', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 100 }), { minLength: 1 }), fc.array(fc.nat({ max: 50 })), (xs, bumps) => {
        // Items are indices into a mutable key table, like the scheduler's nodes.
        const keys = xs.slice();
        const heap = new MinHeap<number>((a, b) => keys[a]! < keys[b]! || (keys[a] === keys[b] && a < b), keys.map((_, i) => i));
        for (const bump of bumps) {
          const top = heap.peek()!;
          keys[top] = keys[top]! + bump;
          heap.siftTop();
        }
        const order = drain(heap).map((i) => keys[i]!);
        expect(order).toEqual(keys.slice().sort((a, b) => a - b));
      }),
    );
  });
});
