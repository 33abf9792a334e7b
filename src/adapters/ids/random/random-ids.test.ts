import { describe, expect, it } from 'vitest';
import { RandomIds } from './random-ids.js';

describe('RandomIds', () => {
  it('makes unique prefixed ids that sort by creation time', () => {
    let now = 1_700_000_000_000;
    const ids = new RandomIds(() => now);
    const made: string[] = [];
    for (let i = 0; i < 1000; i++) {
      now += i % 3 === 0 ? 1 : 0;
      made.push(ids.newId('task'));
    }
    expect(new Set(made).size).toBe(made.length);
    for (const id of made) expect(id).toMatch(/^task_[0-9a-z]{26}$/);
    const first = made[0]!;
    const last = made[made.length - 1]!;
    expect(first.slice(0, 15) <= last.slice(0, 15)).toBe(true);
    expect(new RandomIds(() => now + 1000).newId('node') > `node_${last.slice(5)}`).toBe(true);
  });
});
