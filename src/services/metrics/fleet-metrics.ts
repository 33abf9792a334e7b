import { collectDefaultMetrics, Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../core/clock.js';
import { freeSlots, NODE_LIVENESS, NODE_SCHEDULING, type NodeLiveness, type NodeScheduling } from '../../core/node.js';
import { MAX_PAGE_LIMIT } from '../../core/page.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Store } from '../../core/ports/store.js';
import { TASK_STATES, type TaskState } from '../../core/task.js';

/** Prefix of HQ's process metrics (CPU, memory, event loop, GC, …). */
export const HQ_PROCESS_METRICS_PREFIX = 'cortical_hq_';

export interface FleetMetricsSource {
  readonly store: Pick<Store, 'countTasksByState' | 'getKillSwitch' | 'listNodes'>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface FleetMetricsOptions {
  /** How long one reading of the store serves scrapes; default 1000. */
  readonly cacheMs?: number | undefined;
  /** At most this many nodes are read per reading (pages of ≤ 500); default 5000. */
  readonly maxNodesScanned?: number | undefined;
  /** Also export HQ's process metrics, prefixed `cortical_hq_`; default true. */
  readonly processMetrics?: boolean | undefined;
}

export const DEFAULT_FLEET_CACHE_MS = 1_000;
export const DEFAULT_MAX_NODES_SCANNED = 5_000;

type NodeKey = `${NodeLiveness}/${NodeScheduling}`;

/** One reading of the fleet, shared by every gauge of a scrape. */
export interface FleetReading {
  readonly tasks: Readonly<Record<TaskState, number>>;
  readonly nodes: Readonly<Record<NodeKey, number>>;
  /** Free slots on nodes that are ready and active (where the scheduler may place work). */
  readonly freeSlots: number;
  /** The scan stopped at `maxNodesScanned`: node figures count only the nodes read. */
  readonly nodesTruncated: boolean;
  readonly killSwitchOn: boolean;
}

function emptyNodes(): Record<NodeKey, number> {
  const out = {} as Record<NodeKey, number>;
  for (const l of NODE_LIVENESS) for (const s of NODE_SCHEDULING) out[`${l}/${s}`] = 0;
  return out;
}

function emptyReading(): FleetReading {
  const tasks = {} as Record<TaskState, number>;
  for (const s of TASK_STATES) tasks[s] = 0;
  return { tasks, nodes: emptyNodes(), freeSlots: 0, nodesTruncated: false, killSwitchOn: false };
}

/**
 * Gauges of HQ's fleet read from the store when scraped: tasks by state, nodes by liveness and
 * scheduling, free slots, the kill switch; plus HQ's process metrics. One reading (a task count
 * query, the kill switch and at most `maxNodesScanned` nodes in pages) serves every scrape within
 * `cacheMs`; concurrent scrapes share the reading in flight. A failed reading is logged, counted
 * in `cortical_fleet_collect_errors_total`, and the last good values stay.
 */
export class FleetMetrics {
  private readonly cacheMs: number;
  private readonly maxNodesScanned: number;
  private cached: { readonly reading: FleetReading; readonly atMs: number } | null = null;
  private inFlight: Promise<FleetReading> | null = null;
  private readonly errors: Counter;

  constructor(
    registry: Registry,
    private readonly source: FleetMetricsSource,
    options: FleetMetricsOptions = {},
  ) {
    this.cacheMs = Math.max(0, options.cacheMs ?? DEFAULT_FLEET_CACHE_MS);
    this.maxNodesScanned = Math.max(1, Math.floor(options.maxNodesScanned ?? DEFAULT_MAX_NODES_SCANNED));
    const registers = [registry];
    const reading = () => this.reading();

    new Gauge({
      name: 'cortical_tasks',
      help: 'Tasks by state.',
      labelNames: ['state'],
      registers,
      async collect() {
        const r = await reading();
        for (const state of TASK_STATES) this.set({ state }, r.tasks[state]);
      },
    });
    new Gauge({
      name: 'cortical_nodes',
      help: 'Nodes by liveness (ready, lost) and scheduling (active, cordoned, draining).',
      labelNames: ['liveness', 'scheduling'],
      registers,
      async collect() {
        const r = await reading();
        for (const liveness of NODE_LIVENESS) {
          for (const scheduling of NODE_SCHEDULING) this.set({ liveness, scheduling }, r.nodes[`${liveness}/${scheduling}`]);
        }
      },
    });
    new Gauge({
      name: 'cortical_node_free_slots',
      help: 'Free slots on nodes that are ready and active.',
      registers,
      async collect() {
        this.set((await reading()).freeSlots);
      },
    });
    new Gauge({
      name: 'cortical_nodes_scan_truncated',
      help: '1 when HQ has more nodes than it reads per scrape: node figures then count only those read.',
      registers,
      async collect() {
        this.set((await reading()).nodesTruncated ? 1 : 0);
      },
    });
    new Gauge({
      name: 'cortical_killswitch_on',
      help: '1 while the fleet-wide kill switch is on, else 0.',
      registers,
      async collect() {
        this.set((await reading()).killSwitchOn ? 1 : 0);
      },
    });
    this.errors = new Counter({
      name: 'cortical_fleet_collect_errors_total',
      help: 'Readings of the fleet for metrics that failed (the previous values were served).',
      registers,
      // Waits for this scrape's reading, so that a failure shows in the same scrape.
      async collect() {
        await reading();
      },
    });

    if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: HQ_PROCESS_METRICS_PREFIX });
  }

  /** The current reading: cached for `cacheMs`, shared while in flight, never rejects. */
  reading(): Promise<FleetReading> {
    const nowMs = this.source.clock.nowMs();
    if (this.cached !== null && nowMs - this.cached.atMs < this.cacheMs) return Promise.resolve(this.cached.reading);
    if (this.inFlight !== null) return this.inFlight;
    const pending = this.read()
      .then((reading) => {
        this.cached = { reading, atMs: nowMs };
        return reading;
      })
      .catch((err: unknown) => {
        this.errors.inc();
        this.source.logger.warn({ err }, 'reading the fleet for metrics failed');
        return this.cached?.reading ?? emptyReading();
      })
      .finally(() => {
        this.inFlight = null;
      });
    this.inFlight = pending;
    return pending;
  }

  private async read(): Promise<FleetReading> {
    const [tasks, killSwitch, nodes] = await Promise.all([
      this.source.store.countTasksByState(),
      this.source.store.getKillSwitch(),
      this.readNodes(),
    ]);
    const allTasks = emptyReading().tasks as Record<TaskState, number>;
    for (const state of TASK_STATES) allTasks[state] = tasks[state] ?? 0;
    return { tasks: allTasks, killSwitchOn: killSwitch.on, ...nodes };
  }

  /** Pages through the nodes, at most `maxNodesScanned` of them. */
  private async readNodes(): Promise<Pick<FleetReading, 'nodes' | 'freeSlots' | 'nodesTruncated'>> {
    const nodes = emptyNodes();
    let free = 0;
    let seen = 0;
    let cursor: string | undefined;
    for (;;) {
      const limit = Math.min(MAX_PAGE_LIMIT, this.maxNodesScanned - seen);
      const page = await this.source.store.listNodes({ cursor, limit });
      for (const n of page.items) {
        nodes[`${n.liveness}/${n.scheduling}`] += 1;
        if (n.liveness === 'ready' && n.scheduling === 'active') free += freeSlots(n);
      }
      seen += page.items.length;
      if (page.nextCursor === null || page.items.length === 0) return { nodes, freeSlots: free, nodesTruncated: false };
      if (seen >= this.maxNodesScanned) return { nodes, freeSlots: free, nodesTruncated: true };
      cursor = page.nextCursor;
    }
  }
}
