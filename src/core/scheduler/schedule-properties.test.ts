/** Properties of the planner over random snapshots, and agreement with a brute-force planner. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareTasks } from './ranking.js';
import { schedule } from './schedule.js';
import type { SchedulePlan, SchedulerNode, SchedulerSnapshot, SchedulerTask, UnplacedReason } from './scheduler-types.js';

const CAPS = ['a', 'b', 'c', 'd'];
const PNOW = 10;

const nodesArb = fc
  .array(
    fc.record({
      capabilities: fc.subarray(CAPS),
      slots: fc.nat({ max: 4 }),
      activeLeases: fc.nat({ max: 5 }),
      schedulable: fc.boolean(),
    }),
    { maxLength: 25 },
  )
  .map((ns) => ns.map((n, i): SchedulerNode => ({ id: `n${i}`, ...n })));

const tasksOf = (
  maxLength: number,
  requires: fc.Arbitrary<string[]> = fc.subarray([...CAPS, 'z']),
): fc.Arbitrary<SchedulerTask[]> =>
  fc
    .array(
      fc.record({
        requires,
        priority: fc.integer({ min: 0, max: 3 }),
        createdAt: fc.nat({ max: 20 }),
        notBefore: fc.nat({ max: PNOW + 5 }),
      }),
      { maxLength },
    )
    .map((ts) => ts.map((t, i): SchedulerTask => ({ id: `t${i}`, ...t })));
const tasksArb = tasksOf(60);

const snapshotArb = fc.record({ nodes: nodesArb, tasks: tasksArb, killSwitch: fc.nat({ max: 9 }).map((x) => x === 0) });

const covers = (n: SchedulerNode, requires: readonly string[]): boolean => requires.every((r) => n.capabilities.includes(r));

/** Brute force: for each ranked task scan every node. The reference the planner must match. */
function referencePlan(s: SchedulerSnapshot, nowMs: number): SchedulePlan {
  const ranked = s.tasks.slice().sort(compareTasks);
  if (s.killSwitch) return { placements: [], unplaced: ranked.map((t) => ({ taskId: t.id, reason: 'killswitch', detail: null })) };
  const used = new Map(s.nodes.map((n) => [n.id, n.activeLeases]));
  const placements: { taskId: string; nodeId: string }[] = [];
  const unplaced: { taskId: string; reason: UnplacedReason; detail: string | null }[] = [];
  for (const t of ranked) {
    if (t.notBefore > nowMs) {
      unplaced.push({ taskId: t.id, reason: 'backoff', detail: null });
      continue;
    }
    const capable = s.nodes.filter((n) => n.schedulable && covers(n, t.requires));
    const withRoom = capable.filter((n) => used.get(n.id)! < n.slots);
    const key = (n: SchedulerNode): [number, number, string] => [used.get(n.id)! / n.slots, used.get(n.id)!, n.id];
    withRoom.sort((x, y) => {
      const [lx, ux, ix] = key(x);
      const [ly, uy, iy] = key(y);
      return lx - ly || ux - uy || (ix < iy ? -1 : ix > iy ? 1 : 0);
    });
    const best = withRoom[0];
    if (best === undefined) {
      unplaced.push({ taskId: t.id, reason: capable.length > 0 ? 'no_free_slot' : 'no_capable_node', detail: null });
    } else {
      used.set(best.id, used.get(best.id)! + 1);
      placements.push({ taskId: t.id, nodeId: best.id });
    }
  }
  return { placements, unplaced };
}

const withoutDetail = (p: SchedulePlan): SchedulePlan => ({
  placements: p.placements,
  unplaced: p.unplaced.map((u) => ({ ...u, detail: null })),
});

describe('schedule properties', () => {
  it('never over-commits a node and only places on schedulable nodes', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const plan = schedule(s, PNOW);
        const count = new Map<string, number>();
        for (const p of plan.placements) count.set(p.nodeId, (count.get(p.nodeId) ?? 0) + 1);
        for (const n of s.nodes) {
          const placed = count.get(n.id) ?? 0;
          expect(placed).toBeLessThanOrEqual(Math.max(0, n.slots - n.activeLeases));
          if (!n.schedulable) expect(placed).toBe(0);
        }
      }),
    );
  });

  it('every placement is feasible at the moment it is made', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const plan = schedule(s, PNOW);
        const nodes = new Map(s.nodes.map((n) => [n.id, n]));
        const tasks = new Map(s.tasks.map((t) => [t.id, t]));
        const placed = new Map<string, number>();
        for (const p of plan.placements) {
          const n = nodes.get(p.nodeId)!;
          const t = tasks.get(p.taskId)!;
          const before = placed.get(n.id) ?? 0;
          expect(n.schedulable).toBe(true);
          expect(covers(n, t.requires)).toBe(true);
          expect(n.slots - n.activeLeases - before).toBeGreaterThan(0);
          expect(t.notBefore).toBeLessThanOrEqual(PNOW);
          placed.set(n.id, before + 1);
        }
      }),
    );
  });

  it('every task appears exactly once in placements ∪ unplaced', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const plan = schedule(s, PNOW);
        const ids = [...plan.placements.map((p) => p.taskId), ...plan.unplaced.map((u) => u.taskId)];
        expect(ids.slice().sort()).toEqual(s.tasks.map((t) => t.id).sort());
      }),
    );
  });

  it('a task is never left for no_free_slot while a later-ranked task needing no more got placed', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const plan = schedule(s, PNOW);
        const tasks = new Map(s.tasks.map((t) => [t.id, t]));
        const placed = plan.placements.map((p) => tasks.get(p.taskId)!);
        for (const u of plan.unplaced) {
          if (u.reason !== 'no_free_slot') continue;
          const high = tasks.get(u.taskId)!;
          for (const low of placed) {
            // `low` needs every capability `high` needs (same set included): it could have run
            // wherever `low` runs, so `low` must rank before it.
            if (high.requires.every((r) => low.requires.includes(r))) {
              expect(compareTasks(low, high)).toBeLessThan(0);
              expect(low.priority).toBeGreaterThanOrEqual(high.priority);
            }
          }
        }
      }),
    );
  });

  it('reasons match the rules', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const plan = schedule(s, PNOW);
        const tasks = new Map(s.tasks.map((t) => [t.id, t]));
        for (const u of plan.unplaced) {
          const t = tasks.get(u.taskId)!;
          const capable = s.nodes.some((n) => n.schedulable && covers(n, t.requires));
          if (s.killSwitch) expect(u.reason).toBe('killswitch');
          else if (t.notBefore > PNOW) expect(u.reason).toBe('backoff');
          else expect(u.reason).toBe(capable ? 'no_free_slot' : 'no_capable_node');
          if (u.reason === 'no_capable_node' && t.requires.includes('z')) expect(u.detail).toContain('z');
        }
        if (s.killSwitch) expect(plan.placements).toEqual([]);
      }),
    );
  });

  it('matches a brute-force planner exactly (ranking, spread and reasons)', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        expect(withoutDetail(schedule(s, PNOW))).toEqual(referencePlan(s, PNOW));
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and independent of the order of nodes and tasks', () => {
    fc.assert(
      fc.property(
        snapshotArb.chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.shuffledSubarray(s.nodes, { minLength: s.nodes.length }),
            fc.shuffledSubarray(s.tasks, { minLength: s.tasks.length }),
          ),
        ),
        ([s, nodes, tasks]) => {
          const plan = schedule(s, PNOW);
          expect(schedule(s, PNOW)).toEqual(plan);
          expect(schedule({ nodes, tasks, killSwitch: s.killSwitch }, PNOW)).toEqual(plan);
        },
      ),
    );
  });

  it.each([
    ['few nodes with big slot counts', 1, 6, 8],
    ['many nodes sharing few capability groups', 50, 120, 3],
  ])('stays exact with overlapping requirements: %s', (_name, minNodes, maxNodes, maxSlots) => {
    const nodes = fc.array(
      fc.record({
        capabilities: fc.constantFrom(['a'], ['a', 'b'], ['b', 'c'], []),
        slots: fc.integer({ min: 1, max: maxSlots }),
        activeLeases: fc.nat({ max: maxSlots }),
        schedulable: fc.nat({ max: 9 }).map((x) => x > 0),
      }),
      { minLength: minNodes, maxLength: maxNodes },
    );
    const arb = fc.record({
      nodes: nodes.map((ns) => ns.map((n, i): SchedulerNode => ({ id: `n${String(i).padStart(3, '0')}`, ...n }))),
      tasks: tasksOf(250, fc.constantFrom([], ['a'], ['b'], ['a', 'b'], ['b', 'a'], ['c'])),
      killSwitch: fc.constant(false),
    });
    fc.assert(
      fc.property(arb, (s) => {
        expect(withoutDetail(schedule(s, PNOW))).toEqual(referencePlan(s, PNOW));
      }),
      { numRuns: 100 },
    );
  });
});
