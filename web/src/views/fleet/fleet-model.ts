/** Pure helpers of the fleet view: the totals row, node actions and current tasks per node. */
import type { NodeDto, StatusDto, TaskDto } from '../../api/types.js';
import { formatInt, formatUsd, formatUsdPerHour } from '../../lib/format.js';

export interface Total {
  label: string;
  value: string;
}

/** The totals shown at the top of the fleet view. Missing numbers (older HQ) show as `—`. */
export function fleetTotals(status: StatusDto): Total[] {
  const count = (state: string): number => status.tasks[state] ?? 0;
  return [
    { label: 'Running', value: formatInt(count('running') + count('leased')) },
    { label: 'Queued', value: formatInt(count('queued')) },
    { label: 'Paused', value: formatInt(count('paused')) },
    { label: 'Failed today', value: formatInt(status.today?.failed) },
    { label: 'Spend today', value: formatUsd(status.today?.usd) },
    { label: 'Burn rate', value: formatUsdPerHour(status.burnRateUsdPerHour) },
    { label: 'Nodes ready', value: `${formatInt(status.nodes.ready)} of ${formatInt(status.nodes.total)}` },
    { label: 'Free slots', value: formatInt(status.nodes.freeSlots) },
  ];
}

export type NodeAction = 'cordon' | 'drain' | 'uncordon';

/** The scheduling changes that make sense for a node now. */
export function nodeActions(node: Pick<NodeDto, 'scheduling'>): NodeAction[] {
  switch (node.scheduling) {
    case 'active':
      return ['cordon', 'drain'];
    case 'cordoned':
      return ['drain', 'uncordon'];
    case 'draining':
      return ['uncordon'];
  }
}

export const ACTION_LABEL: Record<NodeAction, string> = { cordon: 'Cordon', drain: 'Drain', uncordon: 'Uncordon' };

/** Tasks holding a lease (leased, running, paused) grouped by node id. */
export function tasksByNode(tasks: readonly TaskDto[]): Map<string, TaskDto[]> {
  const byNode = new Map<string, TaskDto[]>();
  for (const t of tasks) {
    if (t.nodeId === null) continue;
    const list = byNode.get(t.nodeId) ?? [];
    list.push(t);
    byNode.set(t.nodeId, list);
  }
  return byNode;
}

/** CPU as `4 CPUs, load 1.25`. */
export function formatCpu(r: NodeDto['resources']): string {
  return `${r.cpuCount} CPU${r.cpuCount === 1 ? '' : 's'}, load ${r.loadAvg1.toFixed(2)}`;
}
