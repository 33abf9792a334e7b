import { freeSlots, type FleetNode } from '../../core/node.js';
import { MAX_PAGE_LIMIT } from '../../core/page.js';
import type { KillSwitch } from '../../core/ports/store.js';
import type { TaskState } from '../../core/task.js';
import type { DashboardService, TodayFigures } from './dashboard-service.js';
import type { HqDeps } from './hq-deps.js';

export interface HqStatus {
  readonly version: string;
  readonly killSwitch: KillSwitch;
  readonly tasks: Readonly<Record<TaskState, number>>;
  readonly nodes: { readonly total: number; readonly ready: number; readonly lost: number; readonly freeSlots: number };
  /** Tasks ended and spend of the current UTC day. */
  readonly today: TodayFigures;
  /** Spend in the last 60 minutes. */
  readonly burnRateUsdPerHour: number;
  /** Which HQ replica schedules (replicas sharing a store elect one). */
  readonly scheduler: SchedulerStatus;
}

export interface SchedulerStatus {
  /** The id of the replica that answered. */
  readonly replica: string;
  /** The id of the replica that holds the scheduler role now, or null when none does. */
  readonly leader: string | null;
  /** Whether the answering replica is that one. */
  readonly leading: boolean;
  /** How many times the role has changed hands (0: never held). */
  readonly term: number;
}

/** Counts for `cortical status`. */
export class StatusService {
  constructor(
    private readonly deps: HqDeps,
    private readonly dashboard: DashboardService,
    /** This replica's holder id in the scheduler election. */
    private readonly replicaId: () => string,
  ) {}

  async status(): Promise<HqStatus> {
    const replica = this.replicaId();
    const [killSwitch, tasks, nodes, today, burnRateUsdPerHour, leadership] = await Promise.all([
      this.deps.store.getKillSwitch(),
      this.deps.store.countTasksByState(),
      this.allNodes(),
      this.dashboard.today(),
      this.dashboard.burnRateUsdPerHour(),
      this.deps.store.getLeadership({ role: 'scheduler', asker: replica, nowMs: this.deps.clock.nowMs() }),
    ]);
    const leaderNow = leadership.expiresAt > this.deps.clock.nowMs() ? leadership.holder : null;
    let ready = 0;
    let lost = 0;
    let free = 0;
    for (const n of nodes) {
      if (n.liveness === 'lost') {
        lost += 1;
      } else {
        ready += 1;
        if (n.scheduling === 'active') free += freeSlots(n);
      }
    }
    return {
      version: this.deps.config.version,
      killSwitch,
      tasks,
      nodes: { total: nodes.length, ready, lost, freeSlots: free },
      today,
      burnRateUsdPerHour,
      scheduler: { replica, leader: leaderNow, leading: leadership.leader, term: leadership.term },
    };
  }

  private async allNodes(): Promise<FleetNode[]> {
    const out: FleetNode[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.deps.store.listNodes({ cursor, limit: MAX_PAGE_LIMIT });
      out.push(...page.items);
      if (page.nextCursor === null || page.items.length === 0) return out;
      cursor = page.nextCursor;
    }
  }
}
