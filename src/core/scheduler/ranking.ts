/**
 * Ranking: which task goes first, and which feasible node a task goes to.
 *
 * - Tasks: higher `priority` first, then older `createdAt` first (FIFO), then `id`, so the order
 *   is total and a plan does not depend on the order of the snapshot.
 * - Nodes (spread): the least-loaded node first, load = used / slots where used counts the
 *   node's active leases plus what this plan has placed on it; on equal load the node with fewer
 *   used slots, then the smaller node id.
 */
import type { SchedulerNode, SchedulerTask } from './scheduler-types.js';

/** Plain code-unit order: fast, total and independent of locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when `a` should be placed before `b`. */
export function compareTasks(a: SchedulerTask, b: SchedulerTask): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return compareIds(a.id, b.id);
}

/** The tasks in placement order (a new array; the input is left alone). */
export function rankTasks(tasks: readonly SchedulerTask[]): SchedulerTask[] {
  return tasks.slice().sort(compareTasks);
}

/**
 * The load of each candidate node while a plan is built, addressed by index into `nodes`.
 * Typed arrays keep the per-comparison cost to a few loads.
 */
export class NodeLoad {
  readonly nodes: readonly SchedulerNode[];
  private readonly slots: Float64Array;
  private readonly used: Float64Array;
  private readonly load: Float64Array;
  private readonly idRank: Int32Array;

  constructor(nodes: readonly SchedulerNode[]) {
    this.nodes = nodes;
    const n = nodes.length;
    this.slots = new Float64Array(n);
    this.used = new Float64Array(n);
    this.load = new Float64Array(n);
    this.idRank = new Int32Array(n);
    const order: number[] = [];
    for (let i = 0; i < n; i++) {
      const node = nodes[i] as SchedulerNode;
      this.slots[i] = node.slots;
      this.used[i] = node.activeLeases;
      this.load[i] = loadOf(node.activeLeases, node.slots);
      order.push(i);
    }
    order.sort((a, b) => compareIds((nodes[a] as SchedulerNode).id, (nodes[b] as SchedulerNode).id) || a - b);
    for (let r = 0; r < n; r++) this.idRank[order[r] as number] = r;
  }

  /** Slots still free on node `i` in this plan. */
  free(i: number): number {
    return Math.max(0, (this.slots[i] as number) - (this.used[i] as number));
  }

  usedSlots(i: number): number {
    return this.used[i] as number;
  }

  /** Records one more placement on node `i`. */
  place(i: number): void {
    const used = (this.used[i] as number) + 1;
    this.used[i] = used;
    this.load[i] = loadOf(used, this.slots[i] as number);
  }

  /** Whether node `i` ranks before node `j` for the next placement. */
  readonly less = (i: number, j: number): boolean => {
    const li = this.load[i] as number;
    const lj = this.load[j] as number;
    if (li !== lj) return li < lj;
    const ui = this.used[i] as number;
    const uj = this.used[j] as number;
    if (ui !== uj) return ui < uj;
    return (this.idRank[i] as number) < (this.idRank[j] as number);
  };

  /** Current load of node `i` (used / slots; infinite for a node without slots). */
  loadAt(i: number): number {
    return this.load[i] as number;
  }

  /** Position of node `i` in node id order: the last tie-break. */
  rankOf(i: number): number {
    return this.idRank[i] as number;
  }
}

function loadOf(used: number, slots: number): number {
  return slots > 0 ? used / slots : Number.POSITIVE_INFINITY;
}
