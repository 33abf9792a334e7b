import { describe, expect, it } from 'vitest';
import type { StatusDto, TaskDto } from '../../api/types.js';
import { fleetTotals, formatCpu, nodeActions, tasksByNode } from './fleet-model.js';

const status: StatusDto = {
  version: '0.1.0',
  killSwitch: { on: false, reason: null, changedAt: null, changedBy: null },
  tasks: { running: 3, leased: 1, queued: 7, paused: 2, failed: 40 },
  nodes: { total: 4, ready: 3, lost: 1, freeSlots: 5 },
  today: { date: '2026-11-21', succeeded: 12, failed: 2, usd: 14.256, tokens: 123_456 },
  burnRateUsdPerHour: 0.75,
};

describe('fleetTotals', () => {
  it('formats counts, today and the burn rate', () => {
    expect(fleetTotals(status)).toEqual([
      { label: 'Running', value: '4' },
      { label: 'Queued', value: '7' },
      { label: 'Paused', value: '2' },
      { label: 'Failed today', value: '2' },
      { label: 'Spend today', value: '$14.26' },
      { label: 'Burn rate', value: '$0.75/h' },
      { label: 'Nodes ready', value: '3 of 4' },
      { label: 'Free slots', value: '5' },
    ]);
  });

  it('shows a dash where an older HQ sends no day totals, zero for states without tasks', () => {
    const { today: _t, burnRateUsdPerHour: _b, ...old } = status;
    const totals = fleetTotals({ ...old, tasks: {} });
    expect(totals.find((t) => t.label === 'Running')?.value).toBe('0');
    expect(totals.find((t) => t.label === 'Failed today')?.value).toBe('—');
    expect(totals.find((t) => t.label === 'Spend today')?.value).toBe('—');
    expect(totals.find((t) => t.label === 'Burn rate')?.value).toBe('—');
  });
});

describe('node helpers', () => {
  it('offers the scheduling changes that apply', () => {
    expect(nodeActions({ scheduling: 'active' })).toEqual(['cordon', 'drain']);
    expect(nodeActions({ scheduling: 'cordoned' })).toEqual(['drain', 'uncordon']);
    expect(nodeActions({ scheduling: 'draining' })).toEqual(['uncordon']);
  });

  it('groups leased tasks by node and formats CPU', () => {
    const t = (id: string, nodeId: string | null) => ({ id, nodeId }) as TaskDto;
    const m = tasksByNode([t('a', 'n1'), t('b', null), t('c', 'n1'), t('d', 'n2')]);
    expect([...m.entries()].map(([k, v]) => [k, v.map((x) => x.id)])).toEqual([['n1', ['a', 'c']], ['n2', ['d']]]);
    expect(formatCpu({ cpuCount: 1, loadAvg1: 0.5, memFreeMb: 1, memTotalMb: 2 })).toBe('1 CPU, load 0.50');
    expect(formatCpu({ cpuCount: 8, loadAvg1: 2, memFreeMb: 1, memTotalMb: 2 })).toBe('8 CPUs, load 2.00');
  });
});
