/**
 * The free capacity of the fleet while one plan is built.
 *
 * Candidate nodes are grouped by capability set (`CapabilityIndex`); each group keeps its nodes
 * with a free slot in a min-heap by load (`NodeLoad.less`). For each distinct `requires` set a
 * *frontier* holds one entry per matching group, keyed by that group's least-loaded node as it
 * was when the entry was last looked at. Placing work only ever raises a group's best key, so a
 * remembered key is a lower bound of the true one: the frontier is refreshed lazily, and when its
 * top entry is still current it is the best node over all matching groups.
 *
 * A placement costs O(log nodes + log groups) plus the refreshes it makes necessary; a task whose
 * matching groups are all full, or any task once the whole fleet is full, costs O(1).
 */
import { CapabilityIndex, type RequirementMatch } from './feasibility.js';
import { MinHeap } from './min-heap.js';
import { NodeLoad } from './ranking.js';
import type { SchedulerNode } from './scheduler-types.js';

/** A group's least-loaded node as it was when last seen; mutated in place on refresh. */
interface FrontierEntry {
  readonly group: number;
  node: number;
  used: number;
  load: number;
  rank: number;
}

function entryLess(a: FrontierEntry, b: FrontierEntry): boolean {
  if (a.load !== b.load) return a.load < b.load;
  if (a.used !== b.used) return a.used < b.used;
  return a.rank < b.rank;
}

export class NodePool {
  readonly candidates: readonly SchedulerNode[];
  readonly index: CapabilityIndex;
  private readonly load: NodeLoad;
  private readonly groupHeaps: readonly MinHeap<number>[];
  private readonly frontiers = new Map<RequirementMatch, MinHeap<FrontierEntry>>();
  private totalFree = 0;

  /** `candidates`: the schedulable nodes; placements are reported as indices into it. */
  constructor(candidates: readonly SchedulerNode[]) {
    this.candidates = candidates;
    this.load = new NodeLoad(candidates);
    this.index = new CapabilityIndex(candidates);
    this.groupHeaps = this.index.groups.map((g) => {
      const withRoom: number[] = [];
      for (const i of g.members) {
        const free = this.load.free(i);
        if (free > 0) {
          withRoom.push(i);
          this.totalFree += free;
        }
      }
      return new MinHeap<number>(this.load.less, withRoom);
    });
  }

  /** Free slots left in the whole fleet. */
  get freeSlots(): number {
    return this.totalFree;
  }

  /**
   * Takes one slot on the least-loaded node of the groups in `match` and returns that node's
   * index in `candidates`, or -1 when every one of them is full.
   */
  take(match: RequirementMatch): number {
    if (this.totalFree <= 0 || match.groups.length === 0) return -1;
    const frontier = this.frontierOf(match);
    for (;;) {
      const entry = frontier.peek();
      if (entry === undefined) return -1;
      const heap = this.groupHeaps[entry.group] as MinHeap<number>;
      const best = heap.peek();
      if (best === undefined) {
        frontier.pop();
        continue;
      }
      if (best !== entry.node || this.load.usedSlots(best) !== entry.used) {
        this.refresh(entry, best);
        frontier.siftTop();
        continue;
      }
      this.load.place(best);
      this.totalFree -= 1;
      if (this.load.free(best) === 0) heap.pop();
      else heap.siftTop();
      const next = heap.peek();
      if (next === undefined) {
        frontier.pop();
      } else {
        this.refresh(entry, next);
        frontier.siftTop();
      }
      return best;
    }
  }

  private frontierOf(match: RequirementMatch): MinHeap<FrontierEntry> {
    let frontier = this.frontiers.get(match);
    if (frontier === undefined) {
      const entries: FrontierEntry[] = [];
      for (const group of match.groups) {
        const best = (this.groupHeaps[group] as MinHeap<number>).peek();
        if (best === undefined) continue;
        const entry: FrontierEntry = { group, node: best, used: 0, load: 0, rank: 0 };
        this.refresh(entry, best);
        entries.push(entry);
      }
      frontier = new MinHeap(entryLess, entries);
      this.frontiers.set(match, frontier);
    }
    return frontier;
  }

  private refresh(entry: FrontierEntry, node: number): void {
    entry.node = node;
    entry.used = this.load.usedSlots(node);
    entry.load = this.load.loadAt(node);
    entry.rank = this.load.rankOf(node);
  }
}
