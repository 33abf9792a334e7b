import type { AuditHead, AuditSeal, TripcodeUse, TripcodeUseResult } from '../audit-seal.js';
import type { Lockdown } from '../lockdown.js';
import type { NewPipelineRun, PipelineRun, PipelineRunUpdate } from '../pipeline/pipeline-run.js';
import type { TokenKind, TokenRecord } from '../auth.js';
import type { NewEvent, StoredEvent, EventType } from '../events.js';
import type { NodeCommand } from '../node-command.js';
import type { FleetNode, NodeResources, NodeScheduling } from '../node.js';
import type { LeaderRole, Leadership, LeadershipClaim } from '../leadership.js';
import type { AdmissionTask, DailyBudget, Spend } from '../budgets.js';
import type { Page, PageRequest } from '../page.js';
import type { SchedulePlan, SchedulerSnapshot, UnplacedReason } from '../scheduler/scheduler-types.js';
import type { Guidance, Task, TaskDesire, TaskSpec, TaskState } from '../task.js';
import type {
  AttemptCompletion,
  CommitResult,
  FinishedCounts,
  HourlySpend,
  KillSwitch,
  LeaseClaimInput,
  LeaseRenewal,
  LogLine,
  NewNodeCommand,
  NewToken,
  NodeCommandOutcome,
  NodeHeartbeat,
  NodeRegistration,
  ProgressReport,
  ReapResult,
  TaskFilter,
  TokenFilter,
  UsageRow,
} from './store-records.js';

/**
 * The storage port, named after domain operations. Every state-changing operation appends its
 * events to the `events` table in the same transaction. Operations that act on a lease take a
 * `LeaseClaim` and run the fencing check (`checkFence`) inside that transaction; a failed check
 * throws `CorticalError('LEASE_CONFLICT', …, { why })` and appends a `lease.rejected` event.
 * Unknown ids throw `TASK_NOT_FOUND` / `NODE_NOT_FOUND`; forbidden state changes throw
 * `INVALID_TRANSITION`. All times are epoch milliseconds passed in by the caller.
 *
 * One contract suite (`src/adapters/store/store.contract.ts`) runs against every implementation.
 */
export interface Store {
  /** Apply pending migrations (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // ---- tasks -------------------------------------------------------------------------------
  /** Insert a queued task; event `task.created`. */
  createTask(input: { id: string; spec: TaskSpec; nowMs: number; actor: string }): Promise<Task>;
  getTask(id: string): Promise<Task | null>;
  /** Newest first. Cursor-paginated. */
  listTasks(filter: TaskFilter & PageRequest): Promise<Page<Task>>;
  /** Counts per state (for `cortical status`). */
  countTasksByState(): Promise<Readonly<Record<TaskState, number>>>;

  // ---- scheduling --------------------------------------------------------------------------
  /**
   * Nodes (all live ones) and up to `maxTasks` queued tasks, highest priority then oldest first,
   * plus the kill switch: the planner's input.
   */
  loadSchedulerSnapshot(input: { maxTasks: number; nowMs: number }): Promise<SchedulerSnapshot>;
  /**
   * Commit a plan in one transaction. A placement is rejected (not an error) when, at commit
   * time, the task is no longer queued, the node is no longer schedulable or has no free slot, or
   * the kill switch is on. Granted ones: task → leased, attempts + 1, fencing token + 1,
   * leaseExpiresAt = now + leaseTtlMs, reason cleared; event `task.leased`.
   */
  commitPlan(input: { plan: SchedulePlan; nowMs: number; leaseTtlMs: number }): Promise<CommitResult>;
  /**
   * Record why queued tasks were not placed. Only tasks whose reason changed are written (and get
   * a `task.unplaced` event), so a pass over an unchanged queue writes nothing.
   */
  recordUnplaced(input: {
    items: readonly { taskId: string; reason: UnplacedReason; detail: string | null }[];
    nowMs: number;
  }): Promise<number>;

  // ---- leases (node side) --------------------------------------------------------------------
  /** Tasks currently leased to the node (leased, running, paused), with their spec and token. */
  listNodeLeases(nodeId: string): Promise<readonly Task[]>;
  /** leased → running (or resume running after a node restart: no-op if already running). */
  startAttempt(input: { claim: LeaseClaimInput; nowMs: number; workspacePath: string }): Promise<Task>;
  /**
   * Extend the lease to now + ttlMs; returns what the node must converge on (desired state,
   * undelivered guidance, the kill switch).
   */
  renewLease(input: { claim: LeaseClaimInput; nowMs: number; leaseTtlMs: number }): Promise<LeaseRenewal>;
  /**
   * Progress from a running attempt: iteration events, log lines, cumulative usage and runtime,
   * paused/running as the node observes it, guidance delivered. Idempotent per (iteration, kind).
   */
  reportProgress(input: ProgressReport): Promise<Task>;
  /**
   * End the attempt. outcome `succeeded|failed|cancelled` is final; `requeue` applies the retry
   * policy (`decideRetry`): back to queued with back-off, or failed with `max_attempts`.
   * Requeue for `killswitch` or `node_released` does not count the attempt.
   */
  completeAttempt(input: AttemptCompletion): Promise<Task>;
  /**
   * Lease reaper: every leased task whose lease expired before `nowMs` is requeued with reason
   * `lease_expired` (retry policy applies; a task whose desired state is `stop` is cancelled
   * instead); event `lease.expired`. Also marks nodes whose last heartbeat is older than
   * `nodeLostAfterMs` as lost (`node.lost`). Bounded by `limit` per call.
   */
  reapExpired(input: { nowMs: number; nodeLostAfterMs: number; limit: number }): Promise<ReapResult>;

  // ---- controls ------------------------------------------------------------------------------
  /**
   * pause / pause_now / resume / stop. A queued task that is stopped is cancelled at once; a
   * leased one records the desire for the node to act on. Terminal tasks → INVALID_TRANSITION.
   * Event `task.control-requested` (and `task.cancelled` when cancelled at once).
   */
  requestControl(input: { taskId: string; desire: TaskDesire; nowMs: number; actor: string }): Promise<Task>;
  /** Append guidance for the next iteration; event `task.guided`. Terminal → INVALID_TRANSITION. */
  addGuidance(input: { taskId: string; text: string; nowMs: number; actor: string }): Promise<Guidance>;
  /** Set (or, with both null, clear) the daily budget of a project or of the fleet (FLEET_BUDGET); event `budget.changed`. */
  setBudget(input: DailyBudget & { actor: string; nowMs: number }): Promise<DailyBudget>;
  listBudgets(): Promise<DailyBudget[]>;
  /** Projects that have tasks, ascending, at most `limit` (tasks without one are in `default`). */
  listTaskProjects(input: { limit: number }): Promise<string[]>;
  /** Spend per project on a UTC day (`YYYY-MM-DD`). */
  spendOn(day: string): Promise<ReadonlyMap<string, Spend>>;
  /** Admission input for queued tasks; null when no budget is set (nothing to check). */
  loadAdmission(input: { taskIds: readonly string[]; nowMs: number }): Promise<{ tasks: AdmissionTask[]; budgets: ReadonlyMap<string, DailyBudget>; spent: ReadonlyMap<string, Spend> } | null>;
  /** Usage of the last `days` UTC days grouped by project, node or day. */
  usageReport(input: { by: 'project' | 'node' | 'day'; days: number; nowMs: number; limit: number; offset: number }): Promise<UsageRow[]>;
  /** Move a non-terminal task to another agent and model (event `task.resleeved`). */
  resleeveTask(input: { taskId: string; agent: string; model: string | null; nowMs: number; actor: string }): Promise<Task>;
  listGuidance(taskId: string): Promise<readonly Guidance[]>;

  // ---- events and logs -----------------------------------------------------------------------
  /** Events with seq > afterSeq, ascending, at most `limit`. */
  readEvents(input: { afterSeq: number; limit: number; taskId?: string | undefined; types?: readonly EventType[] | undefined }): Promise<readonly StoredEvent[]>;
  /**
   * One task's events of the given types with seq < beforeSeq (no bound when absent), newest
   * first, at most `limit`.
   */
  readTaskEventsNewestFirst(input: { taskId: string; types: readonly EventType[]; beforeSeq?: number | undefined; limit: number }): Promise<readonly StoredEvent[]>;
  /**
   * Events of the given types (fleet-wide) with seq < `beforeSeq`, newest first, at most `limit`;
   * the audit log pages backwards with it. Cost bounded by types × limit rows.
   */
  readEventsNewestFirst(input: { types: readonly EventType[]; beforeSeq?: number | undefined; limit: number }): Promise<readonly StoredEvent[]>;
  /** The fleet's spend per hour between two times, oldest first; hours without spend are absent. */
  usageHourly(input: { sinceMs: number; untilMs: number }): Promise<readonly HourlySpend[]>;
  /** Tasks that ended (succeeded, failed, cancelled) at or after `sinceMs`, by final state. */
  countFinishedSince(sinceMs: number): Promise<FinishedCounts>;
  /** Highest seq written so far (0 when none). */
  lastEventSeq(): Promise<number>;
  /** Append events outside another operation (e.g. audit of a rejected request). */
  appendEvents(input: { events: readonly NewEvent[]; nowMs: number }): Promise<void>;
  /** Task log lines with seq > afterSeq, ascending. */
  readLogs(input: { taskId: string; afterSeq: number; limit: number }): Promise<readonly LogLine[]>;

  // ---- nodes ---------------------------------------------------------------------------------
  /** New node (liveness ready, scheduling active); event `node.joined`. */
  registerNode(input: NodeRegistration & { id: string; nowMs: number }): Promise<FleetNode>;
  getNode(id: string): Promise<FleetNode | null>;
  listNodes(filter: { states?: readonly string[] | undefined } & PageRequest): Promise<Page<FleetNode>>;
  /**
   * Heartbeat: liveness → ready (`node.recovered` if it was lost), resources, capabilities and
   * slots refreshed. Returns the node, and whether what the scheduler sees of it changed
   * (liveness, slots or capabilities).
   */
  heartbeatNode(input: { nodeId: string; nowMs: number; resources: NodeResources; capabilities?: readonly string[] | undefined; slots?: number | undefined; version?: string | undefined }): Promise<NodeHeartbeat>;
  /** cordon / drain / uncordon (→ active). Events `node.cordoned`, `node.draining`, `node.uncordoned`. */
  setNodeScheduling(input: { nodeId: string; scheduling: NodeScheduling; nowMs: number; actor: string }): Promise<FleetNode>;

  // ---- kill switch -------------------------------------------------------------------------
  getKillSwitch(): Promise<KillSwitch>;
  /** Event `killswitch.changed`. When turned on, every leased task's desire is left as is; nodes see the switch in renewals. */
  setKillSwitch(input: { on: boolean; reason: string | null; nowMs: number; actor: string }): Promise<KillSwitch>;

  // ---- tokens --------------------------------------------------------------------------------
  createToken(input: NewToken): Promise<TokenRecord>;
  getToken(id: string): Promise<TokenRecord | null>;
  /**
   * Atomically mark a join token used. Throws JOIN_TOKEN_INVALID when it does not exist, is not a
   * join token, is revoked, expired, or single-use and already used.
   */
  consumeJoinToken(input: { id: string; secretHash: string; nowMs: number }): Promise<TokenRecord>;
  revokeToken(input: { id: string; nowMs: number; actor: string }): Promise<void>;
  /**
   * Tokens, newest first (ids sort by creation). `kinds` and `roles` filter; `activeAt` keeps only
   * those neither revoked nor expired at that time, nor single-use join tokens already used.
   */
  listTokens(filter: TokenFilter & PageRequest): Promise<Page<TokenRecord>>;
  /** Revoke every token of a kind for a node (credential rotation). */
  revokeNodeTokens(input: { nodeId: string; kind: TokenKind; nowMs: number; exceptId?: string | undefined }): Promise<number>;
  /**
   * The HQ secret named `name` (e.g. the key that signs task credentials), stored from
   * `candidate` when it does not exist yet; concurrent callers all get the first stored value.
   */
  ensureSecret(input: { name: string; candidate: string; nowMs: number }): Promise<string>;
  /** Whether any admin api token exists (first start creates one). */
  hasAdminToken(): Promise<boolean>;

  // ---- leadership among HQ replicas (core/leadership.ts) ------------------------------------
  /**
   * Take the role when nobody holds it or the holder's time ran out, renew it when `holder`
   * has it (until nowMs + ttlMs), else report who holds it (`leader` false).
   */
  claimLeadership(claim: LeadershipClaim): Promise<Leadership>;
  /** Give up the role if `holder` has it (it expires at nowMs); otherwise nothing. */
  releaseLeadership(input: { role: LeaderRole; holder: string; nowMs: number }): Promise<void>;
  /** Who holds the role, as seen by `asker`. */
  getLeadership(input: { role: LeaderRole; asker: string; nowMs: number }): Promise<Leadership>;

  // --- safety: fleet lockdown, tripcodes, the audit hash chain, pipeline runs
  getLockdown(): Promise<Lockdown>;
  /** The kill switch and the lockdown in one read (the heartbeat answer carries both). */
  getFleetSwitches(): Promise<{ killSwitch: KillSwitch; lockdown: Lockdown }>;
  /** Turning the lockdown on also turns the kill switch on (one transaction). */
  setLockdown(input: { on: boolean; reason: string | null; nowMs: number; actor: string }): Promise<Lockdown>;
  /** Accept a tripcode's nonce once, ever, and its family not within the cooldown. */
  recordTripcodeUse(use: TripcodeUse): Promise<TripcodeUseResult>;
  auditHead(): Promise<AuditHead | null>;
  /** Append links after the head read (`expectedHeadSeq`); false when another sealer moved it first. */
  appendAuditSeals(input: { seals: readonly AuditSeal[]; head: AuditHead; expectedHeadSeq: number }): Promise<boolean>;
  readAuditSeals(input: { afterSeq: number; limit: number }): Promise<readonly AuditSeal[]>;
  createPipelineRun(input: NewPipelineRun): Promise<PipelineRun>;
  getPipelineRun(id: string): Promise<PipelineRun | null>;
  /** CONFLICT when the run's version is not `expectedVersion`; NOT_FOUND for an unknown id. */
  updatePipelineRun(input: PipelineRunUpdate): Promise<PipelineRun>;
  /** Newest first. */
  listPipelineRuns(input: PageRequest): Promise<Page<PipelineRun>>;

  // ---- node commands (snapshot / revert of a task's workspace on its node) -----------------
  /** Queue a command for a node; event `workspace.command-queued` unless `list_snapshots`. */
  enqueueNodeCommand(input: NewNodeCommand): Promise<NodeCommand>;
  getNodeCommand(id: string): Promise<NodeCommand | null>;
  /**
   * Pending (queued or sent) commands of a node, oldest first, at most `limit`; queued ones
   * become sent. Sent ones are delivered again until the node reports (the node deduplicates).
   */
  takeNodeCommands(input: { nodeId: string; limit: number; nowMs: number }): Promise<readonly NodeCommand[]>;
  /**
   * Record a command's outcome (queued/sent → done/failed) with its event
   * (`workspace.snapshotted`, `workspace.reverted`, `workspace.command-failed`). With `nodeId`,
   * only that node's command may be finished (else FORBIDDEN). Finishing a finished command is a
   * no-op that returns it as stored. Unknown id → NOT_FOUND.
   */
  finishNodeCommand(input: NodeCommandOutcome): Promise<NodeCommand>;
  /** A task's commands, newest first. Cursor-paginated. */
  listNodeCommands(input: { taskId: string } & PageRequest): Promise<Page<NodeCommand>>;
  /**
   * The node that holds or last held the task's workspace: the task's node, else the node of its
   * last `task.started` event; null when the task never started on a node.
   */
  workspaceNodeOf(taskId: string): Promise<string | null>;
}

export * from './store-records.js';
