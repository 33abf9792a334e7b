/** A node of the fleet, as HQ knows it. Pure types. */

/** Liveness, from heartbeats. */
export const NODE_LIVENESS = ['ready', 'lost'] as const;
export type NodeLiveness = (typeof NODE_LIVENESS)[number];

/** Scheduling intent, set by an operator. */
export const NODE_SCHEDULING = ['active', 'cordoned', 'draining'] as const;
export type NodeScheduling = (typeof NODE_SCHEDULING)[number];

/** The one state shown to users, derived from liveness, scheduling and active leases. */
export type NodeState = 'ready' | 'lost' | 'cordoned' | 'draining' | 'drained';

export interface NodeResources {
  readonly cpuCount: number;
  /** 1-minute load average. */
  readonly loadAvg1: number;
  readonly memTotalMb: number;
  readonly memFreeMb: number;
}

export const UNKNOWN_RESOURCES: NodeResources = {
  cpuCount: 0,
  loadAvg1: 0,
  memTotalMb: 0,
  memFreeMb: 0,
};

export interface FleetNode {
  readonly id: string;
  readonly name: string;
  readonly capabilities: readonly string[];
  /** How many attempts it runs at once. */
  readonly slots: number;
  /** Attempts currently leased to it. */
  readonly activeLeases: number;
  readonly liveness: NodeLiveness;
  readonly scheduling: NodeScheduling;
  readonly resources: NodeResources;
  readonly version: string;
  readonly joinedAt: number;
  readonly lastHeartbeatAt: number;
}

export function nodeState(n: Pick<FleetNode, 'liveness' | 'scheduling' | 'activeLeases'>): NodeState {
  if (n.liveness === 'lost') return 'lost';
  if (n.scheduling === 'cordoned') return 'cordoned';
  if (n.scheduling === 'draining') return n.activeLeases === 0 ? 'drained' : 'draining';
  return 'ready';
}

export function freeSlots(n: Pick<FleetNode, 'slots' | 'activeLeases'>): number {
  return Math.max(0, n.slots - n.activeLeases);
}

/** Whether the scheduler may place new work on the node. */
export function isSchedulable(n: Pick<FleetNode, 'liveness' | 'scheduling'>): boolean {
  return n.liveness === 'ready' && n.scheduling === 'active';
}
