/**
 * Feasibility: may a task go to a node at all?
 *
 * A node is feasible for a task when it is schedulable (live, neither cordoned nor draining),
 * advertises every capability the task requires, and has a free slot left in the plan.
 *
 * `CapabilityIndex` answers the capability part for a whole fleet at once: nodes are grouped by
 * their distinct capability set, and each distinct `requires` set is resolved once (through an
 * inverted index from capability to groups) into the list of groups that satisfy it.
 */
import type { SchedulerNode } from './scheduler-types.js';

/** Whether `node` may take one more task requiring `requires`, given `placed` already planned on it. */
export function isFeasible(node: SchedulerNode, requires: readonly string[], placed = 0): boolean {
  return node.schedulable && hasCapabilities(node.capabilities, requires) && node.slots - node.activeLeases - placed > 0;
}

/** Whether `capabilities` includes every one of `requires`. */
export function hasCapabilities(capabilities: readonly string[], requires: readonly string[]): boolean {
  for (const r of requires) if (!capabilities.includes(r)) return false;
  return true;
}

/** Sorted, without duplicates. */
export function canonicalCapabilities(caps: readonly string[]): string[] {
  return [...new Set(caps)].sort();
}

/** Nodes with the same capability set; `members` index the array the index was built from. */
export interface CapabilityGroup {
  readonly capabilities: readonly string[];
  readonly members: readonly number[];
}

/** How one distinct `requires` set meets the fleet. Shared by every task with the same set. */
export interface RequirementMatch {
  /** The set, sorted and without duplicates. */
  readonly requires: readonly string[];
  /** Groups whose capabilities include every required one, ascending. */
  readonly groups: readonly number[];
  /** Required capabilities that no indexed node advertises. */
  readonly missing: readonly string[];
  /** Nodes in `groups`, all together. */
  readonly capableNodes: number;
}

interface RawNode {
  match: RequirementMatch | undefined;
  readonly next: Map<string, RawNode>;
}

export class CapabilityIndex {
  readonly groups: readonly CapabilityGroup[];
  private readonly groupSets: readonly ReadonlySet<string>[];
  /** capability → groups advertising it, ascending. */
  private readonly postings = new Map<string, number[]>();
  /** Lookup by the `requires` array as given, element by element: no key strings per task. */
  private readonly byRaw: RawNode = { match: undefined, next: new Map() };
  private readonly byCanonical = new Map<string, RequirementMatch>();

  /** `nodes` are the candidates (callers pass only schedulable ones). */
  constructor(nodes: readonly SchedulerNode[]) {
    const groupOfKey = new Map<string, number>();
    const groups: { capabilities: string[]; members: number[] }[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const caps = canonicalCapabilities((nodes[i] as SchedulerNode).capabilities);
      const key = JSON.stringify(caps);
      let g = groupOfKey.get(key);
      if (g === undefined) {
        g = groups.length;
        groupOfKey.set(key, g);
        groups.push({ capabilities: caps, members: [] });
        for (const c of caps) {
          const list = this.postings.get(c);
          if (list === undefined) this.postings.set(c, [g]);
          else list.push(g);
        }
      }
      (groups[g] as { members: number[] }).members.push(i);
    }
    this.groups = groups;
    this.groupSets = groups.map((g) => new Set(g.capabilities));
  }

  /** The groups that satisfy `requires`; cached per distinct set. */
  match(requires: readonly string[]): RequirementMatch {
    let raw = this.byRaw;
    for (const r of requires) {
      let next = raw.next.get(r);
      if (next === undefined) {
        next = { match: undefined, next: new Map() };
        raw.next.set(r, next);
      }
      raw = next;
    }
    if (raw.match !== undefined) return raw.match;
    const canonical = canonicalCapabilities(requires);
    const key = JSON.stringify(canonical);
    let m = this.byCanonical.get(key);
    if (m === undefined) {
      m = this.resolve(canonical);
      this.byCanonical.set(key, m);
    }
    raw.match = m;
    return m;
  }

  private resolve(requires: readonly string[]): RequirementMatch {
    if (requires.length === 0) {
      const all = this.groups.map((_, g) => g);
      return { requires, groups: all, missing: [], capableNodes: this.countNodes(all) };
    }
    const missing: string[] = [];
    let shortest: readonly number[] | undefined;
    for (const r of requires) {
      const list = this.postings.get(r);
      if (list === undefined) missing.push(r);
      else if (shortest === undefined || list.length < shortest.length) shortest = list;
    }
    if (missing.length > 0 || shortest === undefined) {
      return { requires, groups: [], missing, capableNodes: 0 };
    }
    const groups: number[] = [];
    for (const g of shortest) {
      const set = this.groupSets[g] as ReadonlySet<string>;
      if (requires.every((r) => set.has(r))) groups.push(g);
    }
    return { requires, groups, missing, capableNodes: this.countNodes(groups) };
  }

  private countNodes(groups: readonly number[]): number {
    let n = 0;
    for (const g of groups) n += (this.groups[g] as CapabilityGroup).members.length;
    return n;
  }
}

/** Human-readable detail for a task that no ready node can run. */
export function noCapableNodeDetail(match: RequirementMatch): string {
  if (match.requires.length === 0) return 'no ready node';
  if (match.missing.length > 0) return `no ready node has: ${match.missing.join(', ')}`;
  return `no ready node has all of: ${match.requires.join(', ')}`;
}

/** Human-readable detail for a task whose capable nodes are all full. */
export function noFreeSlotDetail(match: RequirementMatch): string {
  const n = match.capableNodes;
  return `${n} capable node${n === 1 ? '' : 's'}, no free slot`;
}
