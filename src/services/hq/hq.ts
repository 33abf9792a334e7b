import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Bus } from '../../core/ports/bus.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Store } from '../../core/ports/store.js';
import type { Runnable } from '../../core/runnable.js';
import type { Task } from '../../core/task.js';
import type { TaskCreateParsed } from '../../contract/task-schemas.js';
import { AuditService } from './audit-service.js';
import { AuthService } from './auth-service.js';
import { DashboardService } from './dashboard-service.js';
import { EventFeed } from './event-feed.js';
import { resolveHqConfig, type HqConfig } from './hq-config.js';
import type { HqDeps } from './hq-deps.js';
import { KillSwitchService } from './killswitch-service.js';
import { LeaseReaper } from './lease-reaper.js';
import { LeaseService } from './lease-service.js';
import { NodeRegistry } from './node-registry.js';
import { SchedulerLoop } from './scheduler-loop.js';
import { StatusService } from './status-service.js';
import { submitTask } from './submit-task.js';
import { TaskControls } from './task-controls.js';
import { BudgetService } from './budget-service.js';
import { TaskQueries } from './task-queries.js';
import { TaskCredentials } from './task-credentials.js';
import { WorkspaceCommands } from './workspace-commands.js';
import { PlanService } from './plan-service.js';
import type { LlmPlanner } from '../../core/ports/planner.js';
import { AuditSealer } from './audit-sealer.js';
import { diagnosticsAction } from './diagnostics-bundle.js';
import { TripcodeService, type RecoveryActions } from './tripcode-service.js';
import { PipelineService, type PipelineSetup } from './pipeline-service.js';
import { HqBridgeBackend } from './bridge-backend-service.js';
import { TaskPipeline } from './task-pipeline.js';
import { auditSigningKeySource } from './audit-signing-key.js';
import { AuditVerifier } from './audit-verifier.js';
import { createHqMetrics, type HqMetrics } from '../metrics/metrics-registry.js';

export interface HqOptions {
  readonly store: Store;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly config?: Partial<HqConfig> | undefined;
  /** The request planner's language model; absent or null: plans come from the rules alone. */
  readonly llmPlanner?: LlmPlanner | null | undefined;
  /** Where signed diagnostics bundles are written (tripcode `RECOVERY:DIAGNOSTIC`); absent = that code is not available. */
  readonly diagnosticsDir?: string | undefined;
  /** Recovery actions of tripcodes beyond lockdown and diagnostics (revert a snapshot, reimage to golden). */
  readonly recoveryActions?: Partial<RecoveryActions> | undefined;
  /** The safety pipeline's runtime, snapshots and target; absent = no pipeline on this HQ. */
  readonly pipeline?: PipelineSetup | undefined;
  /** This replica's id in the scheduler election; default: a new random one. */
  readonly replicaId?: string | undefined;
}

/**
 * HQ's services composed from ports. Interfaces (REST API, CLI, …) call these; `start(signal)`
 * runs the long-running loops (scheduler and lease reaper) until the signal aborts.
 */
export class Hq implements Runnable {
  readonly deps: HqDeps;
  readonly config: HqConfig;
  readonly auth: AuthService;
  readonly taskCredentials: TaskCredentials;
  readonly tasks: TaskQueries;
  readonly controls: TaskControls;
  readonly budgets: BudgetService;
  readonly nodes: NodeRegistry;
  readonly leases: LeaseService;
  readonly killSwitch: KillSwitchService;
  readonly status: StatusService;
  readonly audit: AuditService;
  readonly dashboard: DashboardService;
  readonly events: EventFeed;
  readonly scheduler: SchedulerLoop;
  readonly reaper: LeaseReaper;
  readonly workspaceCommands: WorkspaceCommands;
  readonly plans: PlanService;
  /** Seals audited events into the signed hash chain (every replica runs it; the store keeps one chain). */
  readonly auditSealer: AuditSealer;
  readonly auditVerifier: AuditVerifier;
  /** Prometheus registry: fleet gauges, HQ process metrics and the safety pipeline's metrics. */
  readonly metrics: HqMetrics;
  readonly tripcodes: TripcodeService;
  /** The safety pipeline (null when this HQ has none configured). */
  readonly pipeline: PipelineService | null;
  /** What the gRPC Bridge calls. */
  readonly bridge: HqBridgeBackend;
  /** Puts succeeded tasks with a `pipeline` through the safety pipeline to their target branch. */
  readonly taskPipeline: TaskPipeline;

  constructor(options: HqOptions) {
    this.config = resolveHqConfig(options.config);
    this.deps = {
      store: options.store,
      bus: options.bus,
      clock: options.clock,
      ids: options.ids,
      logger: options.logger.child({ component: 'hq' }),
      config: this.config,
    };
    this.taskCredentials = new TaskCredentials(this.deps);
    this.auth = new AuthService(this.deps, this.taskCredentials);
    this.tasks = new TaskQueries(this.deps);
    this.controls = new TaskControls(this.deps);
    this.budgets = new BudgetService(this.deps);
    this.nodes = new NodeRegistry(this.deps, this.auth);
    this.leases = new LeaseService(this.deps, this.taskCredentials);
    this.killSwitch = new KillSwitchService(this.deps);
    this.dashboard = new DashboardService(this.deps);
    this.status = new StatusService(this.deps, this.dashboard, () => this.scheduler.leadership.holder);
    this.audit = new AuditService(this.deps);
    this.events = new EventFeed(this.deps);
    this.scheduler = new SchedulerLoop(this.deps, options.replicaId);
    this.reaper = new LeaseReaper(this.deps);
    this.workspaceCommands = new WorkspaceCommands(this.deps);
    this.plans = new PlanService(this.deps, options.llmPlanner ?? null);
    const auditKey = auditSigningKeySource(this.deps.store, () => this.deps.clock.nowMs());
    this.auditSealer = new AuditSealer({ store: this.deps.store, clock: this.deps.clock, logger: this.deps.logger, key: auditKey, intervalMs: this.config.auditSealIntervalMs });
    this.auditVerifier = new AuditVerifier({ store: this.deps.store, key: auditKey });
    this.metrics = createHqMetrics(this.deps);
    this.pipeline = options.pipeline !== undefined ? new PipelineService(this.deps, options.pipeline, this.metrics.pipeline) : null;
    const pipeline = this.pipeline;
    const actions: Partial<RecoveryActions> = {};
    if (options.diagnosticsDir !== undefined) actions.diagnostic = diagnosticsAction(this.deps, options.diagnosticsDir);
    if (pipeline !== null) {
      actions.revertSnapshot = (id) => pipeline.rollbackSnapshot(id);
      actions.reimageToGolden = () => pipeline.reimageToGolden();
    }
    this.tripcodes = new TripcodeService(this.deps, { actions: { ...actions, ...options.recoveryActions } });
    this.bridge = new HqBridgeBackend(this.pipeline, this.tripcodes);
    this.taskPipeline = new TaskPipeline(this.deps, this.pipeline);
    this.leases.setTaskSucceededListener(this.taskPipeline);
  }

  submitTask(request: TaskCreateParsed, actor: string): Promise<Task> {
    return submitTask(this.deps, request, actor);
  }

  /** Runs the scheduler loop and the lease reaper until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    this.deps.logger.info({ version: this.config.version }, 'HQ loops starting');
    await Promise.all([this.scheduler.start(signal), this.reaper.start(signal), this.auditSealer.start(signal)]);
    await this.taskPipeline.settled();
    this.deps.logger.info({}, 'HQ loops stopped');
  }
}
