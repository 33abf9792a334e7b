import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkFence, nextFencingToken, type FenceVerdict, type LeaseClaim } from './lease.js';
import type { Task } from './task.js';

type FencedTask = Pick<Task, 'state' | 'nodeId' | 'fencingToken' | 'leaseExpiresAt'>;

const NOW = 1_700_000_000_000;
const HELD: FencedTask = { state: 'running', nodeId: 'node_a', fencingToken: 7, leaseExpiresAt: NOW + 30_000 };
const CLAIM: Pick<LeaseClaim, 'nodeId' | 'fencingToken'> = { nodeId: 'node_a', fencingToken: 7 };
const task = (t: Partial<FencedTask>): FencedTask => ({ ...HELD, ...t });
const ok: FenceVerdict = { ok: true };
const no = (why: Extract<FenceVerdict, { ok: false }>['why']): FenceVerdict => ({ ok: false, why });

describe('checkFence', () => {
  const rows: [string, FencedTask, Pick<LeaseClaim, 'nodeId' | 'fencingToken'>, FenceVerdict][] = [
    ['running, right node and token', HELD, CLAIM, ok],
    ['leased', task({ state: 'leased' }), CLAIM, ok],
    ['paused', task({ state: 'paused' }), CLAIM, ok],
    ['no expiry recorded', task({ leaseExpiresAt: null }), CLAIM, ok],
    ['one ms before expiry', task({ leaseExpiresAt: NOW + 1 }), CLAIM, ok],
    ['queued', task({ state: 'queued', nodeId: null }), CLAIM, no('not_leased')],
    ['succeeded', task({ state: 'succeeded' }), CLAIM, no('not_leased')],
    ['failed', task({ state: 'failed' }), CLAIM, no('not_leased')],
    ['cancelled', task({ state: 'cancelled' }), CLAIM, no('not_leased')],
    ['other node holds it', task({ nodeId: 'node_b' }), CLAIM, no('wrong_node')],
    ['older token', HELD, { nodeId: 'node_a', fencingToken: 6 }, no('stale_token')],
    ['newer token', HELD, { nodeId: 'node_a', fencingToken: 8 }, no('stale_token')],
    ['expires exactly now', task({ leaseExpiresAt: NOW }), CLAIM, no('expired')],
    ['expired earlier', task({ leaseExpiresAt: NOW - 1 }), CLAIM, no('expired')],
    // Order of the checks: the first failing one is reported.
    ['not leased wins over wrong node', task({ state: 'queued', nodeId: 'node_b' }), CLAIM, no('not_leased')],
    ['wrong node wins over stale token', task({ nodeId: 'node_b' }), { nodeId: 'node_a', fencingToken: 1 }, no('wrong_node')],
    ['stale token wins over expired', task({ leaseExpiresAt: NOW - 1 }), { nodeId: 'node_a', fencingToken: 1 }, no('stale_token')],
  ];
  it.each(rows)('%s', (_name, t, claim, expected) => {
    expect(checkFence(t, claim, NOW)).toEqual(expected);
  });
});

describe('nextFencingToken', () => {
  it.each([
    [0, 1],
    [1, 2],
    [41, 42],
  ])('%i → %i', (current, next) => {
    expect(nextFencingToken(current)).toBe(next);
  });

  it('is strictly increasing over any chain of grants', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 50 }), (start, grants) => {
        let token = start;
        for (let i = 0; i < grants; i++) {
          const next = nextFencingToken(token);
          expect(next).toBeGreaterThan(token);
          token = next;
        }
      }),
    );
  });

  it('a claim made under a previous grant is rejected after a new grant', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), (token) => {
        const regranted = task({ fencingToken: nextFencingToken(token) });
        expect(checkFence(regranted, { nodeId: 'node_a', fencingToken: token }, NOW)).toEqual(no('stale_token'));
      }),
    );
  });
});
