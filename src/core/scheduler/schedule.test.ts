import { describe, expect, it } from 'vitest';
import { schedule } from './schedule.js';
import type { SchedulerNode, SchedulerSnapshot, SchedulerTask, UnplacedReason } from './scheduler-types.js';

const NOW = 1_000_000;

const node = (id: string, capabilities: string[] = [], slots = 1, activeLeases = 0, schedulable = true): SchedulerNode => ({
  id,
  capabilities,
  slots,
  activeLeases,
  schedulable,
});
const task = (id: string, requires: string[] = [], priority = 0, createdAt = 0, notBefore = 0): SchedulerTask => ({
  id,
  requires,
  priority,
  createdAt,
  notBefore,
});

interface Case {
  readonly name: string;
  readonly nodes: SchedulerNode[];
  readonly tasks: SchedulerTask[];
  readonly killSwitch?: boolean;
  /** [taskId, nodeId] in rank order. */
  readonly placed: [string, string][];
  /** [taskId, reason, detail] in rank order. */
  readonly unplaced: [string, UnplacedReason, string | null][];
}

const FULL1 = '1 capable node, no free slot';

const CASES: Case[] = [
  { name: 'empty snapshot', nodes: [], tasks: [], placed: [], unplaced: [] },
  { name: 'one task, one node', nodes: [node('n1')], tasks: [task('t1')], placed: [['t1', 'n1']], unplaced: [] },
  // capabilities
  {
    name: 'requires is a subset of the node capabilities',
    nodes: [node('n1', ['linux', 'build', 'claude'])],
    tasks: [task('t1', ['claude', 'build'])],
    placed: [['t1', 'n1']],
    unplaced: [],
  },
  {
    name: 'duplicate requirements count once',
    nodes: [node('n1', ['gpu'])],
    tasks: [task('t1', ['gpu', 'gpu'])],
    placed: [['t1', 'n1']],
    unplaced: [],
  },
  {
    name: 'missing capability named in detail',
    nodes: [node('n1', ['linux', 'claude'])],
    tasks: [task('t1', ['gpu'])],
    placed: [],
    unplaced: [['t1', 'no_capable_node', 'no ready node has: gpu']],
  },
  {
    name: 'several missing capabilities, sorted',
    nodes: [node('n1', ['claude'])],
    tasks: [task('t1', ['tpu', 'claude', 'gpu'])],
    placed: [],
    unplaced: [['t1', 'no_capable_node', 'no ready node has: gpu, tpu']],
  },
  {
    name: 'every capability exists, but not on one node',
    nodes: [node('n1', ['gpu']), node('n2', ['claude'])],
    tasks: [task('t1', ['gpu', 'claude'])],
    placed: [],
    unplaced: [['t1', 'no_capable_node', 'no ready node has all of: claude, gpu']],
  },
  {
    name: 'superset node chosen over a node missing one capability',
    nodes: [node('a', ['gpu']), node('b', ['gpu', 'claude'], 4, 3)],
    tasks: [task('t1', ['gpu', 'claude'])],
    placed: [['t1', 'b']],
    unplaced: [],
  },
  {
    name: 'no nodes at all',
    nodes: [],
    tasks: [task('t1')],
    placed: [],
    unplaced: [['t1', 'no_capable_node', 'no ready node']],
  },
  // node state
  {
    name: 'cordoned or lost node is not a candidate',
    nodes: [node('n1', ['gpu'], 4, 0, false), node('n2', ['claude'])],
    tasks: [task('t1', ['gpu'])],
    placed: [],
    unplaced: [['t1', 'no_capable_node', 'no ready node has: gpu']],
  },
  {
    name: 'unschedulable node skipped, schedulable one used',
    nodes: [node('a', [], 8, 0, false), node('b', [], 1, 0)],
    tasks: [task('t1'), task('t2', [], 0, 1)],
    placed: [['t1', 'b']],
    unplaced: [['t2', 'no_free_slot', FULL1]],
  },
  // slots
  {
    name: 'slots run out within the plan',
    nodes: [node('n1', [], 2)],
    tasks: [task('t1', [], 0, 1), task('t2', [], 0, 2), task('t3', [], 0, 3)],
    placed: [['t1', 'n1'], ['t2', 'n1']],
    unplaced: [['t3', 'no_free_slot', FULL1]],
  },
  {
    name: 'active leases take slots',
    nodes: [node('n1', [], 2, 1)],
    tasks: [task('t1', [], 0, 1), task('t2', [], 0, 2)],
    placed: [['t1', 'n1']],
    unplaced: [['t2', 'no_free_slot', FULL1]],
  },
  {
    name: 'over-committed node has no free slot',
    nodes: [node('n1', [], 2, 3)],
    tasks: [task('t1')],
    placed: [],
    unplaced: [['t1', 'no_free_slot', FULL1]],
  },
  {
    name: 'node without slots is capable but full',
    nodes: [node('n1', ['gpu'], 0), node('n2', ['gpu'], 0)],
    tasks: [task('t1', ['gpu'])],
    placed: [],
    unplaced: [['t1', 'no_free_slot', '2 capable nodes, no free slot']],
  },
  {
    name: 'one capability group full, another still placed',
    nodes: [node('g', ['gpu']), node('b', ['build'])],
    tasks: [task('t1', ['gpu'], 0, 1), task('t2', ['gpu'], 0, 2), task('t3', ['build'], 0, 3)],
    placed: [['t1', 'g'], ['t3', 'b']],
    unplaced: [['t2', 'no_free_slot', FULL1]],
  },
  {
    name: 'fleet full: capable tasks no_free_slot, others no_capable_node',
    nodes: [node('n1', ['build'])],
    tasks: [task('t1', ['build'], 0, 1), task('t2', ['build'], 0, 2), task('t3', ['gpu'], 0, 3)],
    placed: [['t1', 'n1']],
    unplaced: [
      ['t2', 'no_free_slot', FULL1],
      ['t3', 'no_capable_node', 'no ready node has: gpu'],
    ],
  },
  // ranking of tasks
  {
    name: 'higher priority first, even when newer',
    nodes: [node('n1')],
    tasks: [task('old-low', [], 0, 1), task('new-high', [], 5, 9)],
    placed: [['new-high', 'n1']],
    unplaced: [['old-low', 'no_free_slot', FULL1]],
  },
  {
    name: 'same priority: older first (FIFO)',
    nodes: [node('n1')],
    tasks: [task('newer', [], 1, 20), task('older', [], 1, 10)],
    placed: [['older', 'n1']],
    unplaced: [['newer', 'no_free_slot', FULL1]],
  },
  {
    name: 'same priority and age: id order',
    nodes: [node('n1')],
    tasks: [task('t2', [], 1, 10), task('t1', [], 1, 10)],
    placed: [['t1', 'n1']],
    unplaced: [['t2', 'no_free_slot', FULL1]],
  },
  {
    name: 'negative priority ranks after zero',
    nodes: [node('n1')],
    tasks: [task('neg', [], -1, 0), task('zero', [], 0, 5)],
    placed: [['zero', 'n1']],
    unplaced: [['neg', 'no_free_slot', FULL1]],
  },
  // spread over nodes
  {
    name: 'spread: one task per node before doubling up',
    nodes: [node('a', [], 2), node('b', [], 2)],
    tasks: [task('t1', [], 0, 1), task('t2', [], 0, 2), task('t3', [], 0, 3)],
    placed: [['t1', 'a'], ['t2', 'b'], ['t3', 'a']],
    unplaced: [],
  },
  {
    name: 'spread by load ratio, not by free slots',
    nodes: [node('big', [], 4, 1), node('small', [], 2, 0)],
    tasks: [task('t1', [], 0, 1), task('t2', [], 0, 2), task('t3', [], 0, 3)],
    // loads: big .25, small 0 → small (.5); big .25 → big (.5); tie .5: small has fewer used (1 < 2)
    placed: [['t1', 'small'], ['t2', 'big'], ['t3', 'small']],
    unplaced: [],
  },
  {
    name: 'equal load: fewer active leases first',
    nodes: [node('a', [], 4, 2), node('b', [], 2, 1)],
    tasks: [task('t1')],
    placed: [['t1', 'b']],
    unplaced: [],
  },
  {
    name: 'equal load and leases: node id decides, not snapshot order',
    nodes: [node('n2', [], 2), node('n1', [], 2)],
    tasks: [task('t1')],
    placed: [['t1', 'n1']],
    unplaced: [],
  },
  {
    name: 'task without requirements may use a specialised node',
    nodes: [node('plain', [], 1, 1), node('gpu', ['gpu'], 1)],
    tasks: [task('t1')],
    placed: [['t1', 'gpu']],
    unplaced: [],
  },
  {
    name: 'load added through another requirement set is seen',
    nodes: [node('x', ['a', 'b'], 4), node('y', ['a'], 4, 1)],
    // t1 [a] → x (0 < .25); t2 [a,b] → x (only x); t3 [a] → y (.25 < .5), not x again
    tasks: [task('t1', ['a'], 0, 1), task('t2', ['a', 'b'], 0, 2), task('t3', ['a'], 0, 3)],
    placed: [['t1', 'x'], ['t2', 'x'], ['t3', 'y']],
    unplaced: [],
  },
  // back-off
  {
    name: 'back-off: not before a future time',
    nodes: [node('n1')],
    tasks: [task('t1', [], 0, 0, NOW + 5_000)],
    placed: [],
    unplaced: [['t1', 'backoff', 'retry in 5000 ms']],
  },
  {
    name: 'back-off elapsed exactly now',
    nodes: [node('n1')],
    tasks: [task('t1', [], 0, 0, NOW)],
    placed: [['t1', 'n1']],
    unplaced: [],
  },
  {
    name: 'a task in back-off does not hold a slot',
    nodes: [node('n1')],
    tasks: [task('waiting', [], 9, 0, NOW + 1), task('ready', [], 0, 5)],
    placed: [['ready', 'n1']],
    unplaced: [['waiting', 'backoff', 'retry in 1 ms']],
  },
  {
    name: 'back-off reported before capability problems',
    nodes: [],
    tasks: [task('t1', ['gpu'], 0, 0, NOW + 10)],
    placed: [],
    unplaced: [['t1', 'backoff', 'retry in 10 ms']],
  },
  // kill switch
  {
    name: 'kill switch: nothing placed, every task unplaced in rank order',
    nodes: [node('n1', [], 8)],
    tasks: [task('t1', [], 0, 1), task('t2', ['gpu'], 3, 2), task('t3', [], 0, 0, NOW + 10)],
    killSwitch: true,
    placed: [],
    unplaced: [
      ['t2', 'killswitch', 'kill switch is on'],
      ['t3', 'killswitch', 'kill switch is on'],
      ['t1', 'killswitch', 'kill switch is on'],
    ],
  },
];

describe('schedule', () => {
  it.each(CASES)('$name', (c) => {
    const plan = schedule({ nodes: c.nodes, tasks: c.tasks, killSwitch: c.killSwitch ?? false }, NOW);
    expect(plan.placements.map((p) => [p.taskId, p.nodeId])).toEqual(c.placed);
    expect(plan.unplaced.map((u) => [u.taskId, u.reason, u.detail])).toEqual(c.unplaced);
  });

  it('does not modify the snapshot', () => {
    const tasks = [task('b', [], 0, 2), task('a', [], 0, 1)];
    const nodes = [node('n2', ['x']), node('n1', ['x'])];
    const snapshot: SchedulerSnapshot = { nodes, tasks, killSwitch: false };
    const copy = structuredClone(snapshot);
    schedule(snapshot, NOW);
    expect(snapshot).toEqual(copy);
  });
});
