import { describe, expect, it } from 'vitest';
import { CapabilityIndex, hasCapabilities, isFeasible, noCapableNodeDetail, noFreeSlotDetail } from './feasibility.js';
import type { SchedulerNode } from './scheduler-types.js';

const node = (capabilities: string[], slots = 2, activeLeases = 0, schedulable = true): SchedulerNode => ({
  id: 'n',
  capabilities,
  slots,
  activeLeases,
  schedulable,
});

describe('isFeasible', () => {
  const rows: [string, SchedulerNode, string[], number, boolean][] = [
    ['no requirements, free slot', node([]), [], 0, true],
    ['requirements are a subset', node(['linux', 'gpu', 'claude']), ['gpu', 'claude'], 0, true],
    ['requirements equal the capabilities', node(['gpu']), ['gpu'], 0, true],
    ['one capability missing', node(['gpu']), ['gpu', 'claude'], 0, false],
    ['not schedulable', node(['gpu'], 2, 0, false), ['gpu'], 0, false],
    ['full from active leases', node([], 2, 2), [], 0, false],
    ['full from this plan', node([], 2, 1), [], 1, false],
    ['one slot left after this plan', node([], 3, 1), [], 1, true],
    ['no slots', node([], 0), [], 0, false],
  ];
  it.each(rows)('%s', (_name, n, requires, placed, expected) => {
    expect(isFeasible(n, requires, placed)).toBe(expected);
  });

  it('hasCapabilities: empty requirement is always met', () => {
    expect(hasCapabilities([], [])).toBe(true);
    expect(hasCapabilities(['a'], ['b'])).toBe(false);
  });
});

describe('CapabilityIndex', () => {
  const index = new CapabilityIndex([
    node(['linux', 'build']), // group 0
    node(['build', 'linux']), // same set, other order: group 0
    node(['linux', 'gpu']), // group 1
    node(['linux', 'gpu', 'claude', 'gpu']), // group 2
  ]);

  it('groups nodes by distinct capability set', () => {
    expect(index.groups.map((g) => [g.capabilities, g.members])).toEqual([
      [['build', 'linux'], [0, 1]],
      [['gpu', 'linux'], [2]],
      [['claude', 'gpu', 'linux'], [3]],
    ]);
  });

  const rows: [string, string[], number[], string[], number][] = [
    ['nothing required: every group', [], [0, 1, 2], [], 4],
    ['shared capability', ['linux'], [0, 1, 2], [], 4],
    ['one group', ['build'], [0], [], 2],
    ['superset groups', ['gpu'], [1, 2], [], 2],
    ['two capabilities', ['claude', 'gpu'], [2], [], 1],
    ['unknown capability', ['tpu', 'gpu'], [], ['tpu'], 0],
    ['known capabilities, never together', ['build', 'gpu'], [], [], 0],
  ];
  it.each(rows)('%s', (_name, requires, groups, missing, capableNodes) => {
    const m = index.match(requires);
    expect(m.groups).toEqual(groups);
    expect(m.missing).toEqual(missing);
    expect(m.capableNodes).toBe(capableNodes);
  });

  it('the same set in any order or with duplicates resolves to one shared match', () => {
    const m = index.match(['gpu', 'claude']);
    expect(index.match(['claude', 'gpu'])).toBe(m);
    expect(index.match(['gpu', 'claude', 'gpu'])).toBe(m);
    expect(index.match(['gpu', 'claude'])).toBe(m);
  });

  it('details', () => {
    expect(noCapableNodeDetail(index.match(['tpu', 'gpu', 'fpga']))).toBe('no ready node has: fpga, tpu');
    expect(noCapableNodeDetail(index.match(['gpu', 'build']))).toBe('no ready node has all of: build, gpu');
    expect(noCapableNodeDetail(new CapabilityIndex([]).match([]))).toBe('no ready node');
    expect(noFreeSlotDetail(index.match(['claude']))).toBe('1 capable node, no free slot');
    expect(noFreeSlotDetail(index.match(['gpu']))).toBe('2 capable nodes, no free slot');
  });
});
