import { describe, expect, it } from 'vitest';
import { freeSlots, isSchedulable, nodeState, type NodeLiveness, type NodeScheduling, type NodeState } from './node.js';

describe('nodeState', () => {
  const rows: [NodeLiveness, NodeScheduling, number, NodeState][] = [
    ['ready', 'active', 0, 'ready'],
    ['ready', 'active', 3, 'ready'],
    ['ready', 'cordoned', 0, 'cordoned'],
    ['ready', 'cordoned', 2, 'cordoned'],
    ['ready', 'draining', 2, 'draining'],
    ['ready', 'draining', 0, 'drained'],
    ['lost', 'active', 0, 'lost'],
    ['lost', 'active', 1, 'lost'],
    ['lost', 'cordoned', 0, 'lost'],
    ['lost', 'draining', 1, 'lost'],
    ['lost', 'draining', 0, 'lost'],
  ];
  it.each(rows)('%s / %s / %i active → %s', (liveness, scheduling, activeLeases, expected) => {
    expect(nodeState({ liveness, scheduling, activeLeases })).toBe(expected);
  });
});

describe('freeSlots', () => {
  const rows: [number, number, number][] = [
    [4, 0, 4],
    [4, 1, 3],
    [4, 4, 0],
    [4, 6, 0], // over-committed (e.g. slots lowered): never negative
    [0, 0, 0],
    [1, 0, 1],
  ];
  it.each(rows)('%i slots, %i active → %i free', (slots, activeLeases, expected) => {
    expect(freeSlots({ slots, activeLeases })).toBe(expected);
  });
});

describe('isSchedulable', () => {
  const rows: [NodeLiveness, NodeScheduling, boolean][] = [
    ['ready', 'active', true],
    ['ready', 'cordoned', false],
    ['ready', 'draining', false],
    ['lost', 'active', false],
    ['lost', 'cordoned', false],
    ['lost', 'draining', false],
  ];
  it.each(rows)('%s / %s → %s', (liveness, scheduling, expected) => {
    expect(isSchedulable({ liveness, scheduling })).toBe(expected);
  });
});
