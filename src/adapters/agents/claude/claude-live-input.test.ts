import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SleeveInput } from '../../../core/ports/runtime.js';
import { ClaudeLiveInput } from './claude-live-input.js';

function fakeInput(): SleeveInput & { lines: string[]; ended: boolean } {
  const state = { lines: [] as string[], ended: false };
  return Object.assign(state, {
    write(text: string) {
      if (state.ended) return false;
      state.lines.push(text);
      return true;
    },
    end() {
      state.ended = true;
    },
  });
}

afterEach(() => vi.useRealTimers());

describe('ClaudeLiveInput', () => {
  it('writes guidance as a stream-json user message and answers live', () => {
    const input = fakeInput();
    const live = new ClaudeLiveInput(input);
    expect(live.guide('steer left')).toBe('live');
    expect(input.lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ type: 'user', message: { role: 'user', content: 'steer left' } }]);
    expect(input.lines[0]!.endsWith('\n')).toBe(true);
  });

  it('ends stdin at a result once every message was taken in, then refuses guidance', () => {
    const input = fakeInput();
    const live = new ClaudeLiveInput(input);
    live.messageTaken();
    live.turnEnded();
    expect(input.ended).toBe(true);
    expect(() => live.guide('late')).toThrow(/no longer takes input/);
  });

  it('keeps stdin open while guidance is unread and ends it at the next result', () => {
    const input = fakeInput();
    const live = new ClaudeLiveInput(input);
    live.messageTaken();
    live.guide('more');
    live.turnEnded();
    expect(input.ended).toBe(false);
    live.messageTaken();
    live.turnEnded();
    expect(input.ended).toBe(true);
  });

  it('ends stdin after the settle time when an unread message never shows up', () => {
    vi.useFakeTimers();
    const input = fakeInput();
    const live = new ClaudeLiveInput(input, 1000);
    live.guide('lost');
    live.turnEnded();
    vi.advanceTimersByTime(999);
    expect(input.ended).toBe(false);
    vi.advanceTimersByTime(1);
    expect(input.ended).toBe(true);
  });

  it('refuses guidance without a live stdin', () => {
    expect(() => new ClaudeLiveInput(undefined).guide('x')).toThrow(/no longer takes input/);
  });
});
