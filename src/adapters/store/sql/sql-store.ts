import type { AdmissionTask, DailyBudget, Spend } from '../../../core/budgets.js';
import type { TokenFilter, UsageRow } from '../../../core/ports/store.js';
import * as usage from './usage-ops.js';
import type { TokenKind, TokenRecord } from '../../../core/auth.js';
import type { EventType, NewEvent, StoredEvent } from '../../../core/events.js';
import type { FleetNode, NodeResources, NodeScheduling } from '../../../core/node.js';
import type { NodeCommand } from '../../../core/node-command.js';
import type { Page, PageRequest } from '../../../core/page.js';
import type {
  AttemptCompletion,
  FinishedCounts,
  HourlySpend,
  CommitResult,
  KillSwitch,
  LeaseClaimInput,
  LeaseRenewal,
  LogLine,
  NewNodeCommand,
  NewToken,
  NodeCommandOutcome,
  NodeRegistration,
  ProgressReport,
  ReapResult,
  Store,
  TaskFilter,
  NodeHeartbeat,
} from '../../../core/ports/store.js';
import type { SchedulePlan, SchedulerSnapshot, UnplacedReason } from '../../../core/scheduler/scheduler-types.js';
import type { Guidance, Task, TaskDesire, TaskSpec, TaskState } from '../../../core/task.js';
import * as control from './control-ops.js';
import * as dash from './dashboard-ops.js';
import * as ev from './events-sql.js';
import { readTaskEventsNewestFirst } from './task-events-newest.js';
import * as ks from './killswitch-ops.js';
import * as lease from './lease-ops.js';
import * as logs from './log-ops.js';
import * as nodes from './node-ops.js';
import { reportProgress } from './progress-op.js';
import { reapExpired } from './reaper-op.js';
import * as sched from './scheduling-ops.js';
import type { LeaderRole, Leadership, LeadershipClaim } from '../../../core/leadership.js';
import * as leaders from './leader-ops.js';
import type { SqlContext } from './sql-context.js';
import * as tasks from './task-ops.js';
import * as tokens from './token-ops.js';
import { ensureSecret } from './secret-ops.js';
import * as commands from './node-command-ops.js';
import * as lockdown from './lockdown-ops.js';
import { recordTripcodeUse } from './tripcode-ops.js';
import * as seals from './audit-seal-ops.js';
import * as pipelineRuns from './pipeline-run-ops.js';
import type { AuditHead, AuditSeal, TripcodeUse, TripcodeUseResult } from '../../../core/audit-seal.js';
import type { Lockdown } from '../../../core/lockdown.js';
import type { NewPipelineRun, PipelineRun, PipelineRunUpdate } from '../../../core/pipeline/pipeline-run.js';

/**
 * The Store on any SQL database Kysely speaks. Dialect-neutral: a subclass supplies the
 * connection, the transaction wrapper (`SqlContext`), migrations and shutdown.
 */
/** Migrate a freshly opened store; on failure close it and rethrow (the stores' `create`). */
export async function migratedOrClosed<S extends Store>(store: S): Promise<S> {
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

export abstract class SqlStore implements Store {
  protected constructor(protected readonly ctx: SqlContext) {}

  abstract migrate(): Promise<void>;
  abstract close(): Promise<void>;

  createTask(input: { id: string; spec: TaskSpec; nowMs: number; actor: string }): Promise<Task> {
    return tasks.createTask(this.ctx, input);
  }
  getTask(id: string): Promise<Task | null> {
    return tasks.getTask(this.ctx, id);
  }
  listTasks(filter: TaskFilter & PageRequest): Promise<Page<Task>> {
    return tasks.listTasks(this.ctx, filter);
  }
  countTasksByState(): Promise<Readonly<Record<TaskState, number>>> {
    return tasks.countTasksByState(this.ctx);
  }

  loadSchedulerSnapshot(input: { maxTasks: number; nowMs: number }): Promise<SchedulerSnapshot> {
    return sched.loadSchedulerSnapshot(this.ctx, input);
  }
  commitPlan(input: { plan: SchedulePlan; nowMs: number; leaseTtlMs: number }): Promise<CommitResult> {
    return sched.commitPlan(this.ctx, input);
  }
  recordUnplaced(input: {
    items: readonly { taskId: string; reason: UnplacedReason; detail: string | null }[];
    nowMs: number;
  }): Promise<number> {
    return sched.recordUnplaced(this.ctx, input);
  }

  listNodeLeases(nodeId: string): Promise<readonly Task[]> {
    return lease.listNodeLeases(this.ctx, nodeId);
  }
  startAttempt(input: { claim: LeaseClaimInput; nowMs: number; workspacePath: string }): Promise<Task> {
    return lease.startAttempt(this.ctx, input);
  }
  renewLease(input: { claim: LeaseClaimInput; nowMs: number; leaseTtlMs: number }): Promise<LeaseRenewal> {
    return lease.renewLease(this.ctx, input);
  }
  reportProgress(input: ProgressReport): Promise<Task> {
    return reportProgress(this.ctx, input);
  }
  completeAttempt(input: AttemptCompletion): Promise<Task> {
    return lease.completeAttempt(this.ctx, input);
  }
  reapExpired(input: { nowMs: number; nodeLostAfterMs: number; limit: number }): Promise<ReapResult> {
    return reapExpired(this.ctx, input);
  }

  requestControl(input: { taskId: string; desire: TaskDesire; nowMs: number; actor: string }): Promise<Task> {
    return control.requestControl(this.ctx, input);
  }
  addGuidance(input: { taskId: string; text: string; nowMs: number; actor: string }): Promise<Guidance> {
    return control.addGuidance(this.ctx, input);
  }

  setBudget(input: DailyBudget & { actor: string; nowMs: number }): Promise<DailyBudget> {
    return usage.setBudget(this.ctx, input);
  }

  listBudgets(): Promise<DailyBudget[]> {
    return usage.listBudgets(this.ctx.db);
  }

  listTaskProjects(input: { limit: number }): Promise<string[]> {
    return usage.listTaskProjects(this.ctx.db, input.limit);
  }

  spendOn(day: string): Promise<ReadonlyMap<string, Spend>> {
    return usage.spendOn(this.ctx.db, day);
  }

  loadAdmission(input: { taskIds: readonly string[]; nowMs: number }): Promise<{ tasks: AdmissionTask[]; budgets: ReadonlyMap<string, DailyBudget>; spent: ReadonlyMap<string, Spend> } | null> {
    return usage.loadAdmission(this.ctx, input);
  }

  usageReport(input: { by: 'project' | 'node' | 'day'; days: number; nowMs: number; limit: number; offset: number }): Promise<UsageRow[]> {
    return usage.usageReport(this.ctx, input);
  }

  resleeveTask(input: { taskId: string; agent: string; model: string | null; nowMs: number; actor: string }): Promise<Task> {
    return control.resleeveTask(this.ctx, input);
  }
  listGuidance(taskId: string): Promise<readonly Guidance[]> {
    return control.listGuidance(this.ctx, taskId);
  }

  readEvents(input: {
    afterSeq: number;
    limit: number;
    taskId?: string | undefined;
    types?: readonly EventType[] | undefined;
  }): Promise<readonly StoredEvent[]> {
    return ev.readEvents(this.ctx.db, input);
  }
  readTaskEventsNewestFirst(input: { taskId: string; types: readonly EventType[]; beforeSeq?: number | undefined; limit: number }): Promise<readonly StoredEvent[]> {
    return readTaskEventsNewestFirst(this.ctx.db, input);
  }
  readEventsNewestFirst(input: { types: readonly EventType[]; beforeSeq?: number | undefined; limit: number }): Promise<readonly StoredEvent[]> {
    return dash.readEventsNewestFirst(this.ctx.db, input);
  }
  usageHourly(input: { sinceMs: number; untilMs: number }): Promise<readonly HourlySpend[]> {
    return dash.usageHourly(this.ctx.db, input);
  }
  countFinishedSince(sinceMs: number): Promise<FinishedCounts> {
    return dash.countFinishedSince(this.ctx.db, sinceMs);
  }
  lastEventSeq(): Promise<number> {
    return ev.lastEventSeq(this.ctx.db);
  }
  async appendEvents(input: { events: readonly NewEvent[]; nowMs: number }): Promise<void> {
    if (input.events.length === 0) return;
    await this.ctx.runInTx((tx) => ev.insertEvents(tx, input.events, input.nowMs));
  }
  readLogs(input: { taskId: string; afterSeq: number; limit: number }): Promise<readonly LogLine[]> {
    return logs.readLogs(this.ctx, input);
  }

  registerNode(input: NodeRegistration & { id: string; nowMs: number }): Promise<FleetNode> {
    return nodes.registerNode(this.ctx, input);
  }
  getNode(id: string): Promise<FleetNode | null> {
    return nodes.getNode(this.ctx, id);
  }
  listNodes(filter: { states?: readonly string[] | undefined } & PageRequest): Promise<Page<FleetNode>> {
    return nodes.listNodes(this.ctx, filter);
  }
  heartbeatNode(input: {
    nodeId: string;
    nowMs: number;
    resources: NodeResources;
    capabilities?: readonly string[] | undefined;
    slots?: number | undefined;
    version?: string | undefined;
  }): Promise<NodeHeartbeat> {
    return nodes.heartbeatNode(this.ctx, input);
  }
  setNodeScheduling(input: {
    nodeId: string;
    scheduling: NodeScheduling;
    nowMs: number;
    actor: string;
  }): Promise<FleetNode> {
    return nodes.setNodeScheduling(this.ctx, input);
  }

  getKillSwitch(): Promise<KillSwitch> {
    return ks.readKillSwitch(this.ctx.db);
  }
  setKillSwitch(input: { on: boolean; reason: string | null; nowMs: number; actor: string }): Promise<KillSwitch> {
    return ks.setKillSwitch(this.ctx, input);
  }

  createToken(input: NewToken): Promise<TokenRecord> {
    return tokens.createToken(this.ctx, input);
  }
  getToken(id: string): Promise<TokenRecord | null> {
    return tokens.getToken(this.ctx, id);
  }
  consumeJoinToken(input: { id: string; secretHash: string; nowMs: number }): Promise<TokenRecord> {
    return tokens.consumeJoinToken(this.ctx, input);
  }
  revokeToken(input: { id: string; nowMs: number; actor: string }): Promise<void> {
    return tokens.revokeToken(this.ctx, input);
  }
  listTokens(filter: TokenFilter & PageRequest): Promise<Page<TokenRecord>> {
    return tokens.listTokens(this.ctx, filter);
  }
  revokeNodeTokens(input: {
    nodeId: string;
    kind: TokenKind;
    nowMs: number;
    exceptId?: string | undefined;
  }): Promise<number> {
    return tokens.revokeNodeTokens(this.ctx, input);
  }
  hasAdminToken(): Promise<boolean> {
    return tokens.hasAdminToken(this.ctx);
  }
  ensureSecret(input: { name: string; candidate: string; nowMs: number }): Promise<string> {
    return ensureSecret(this.ctx, input);
  }

  claimLeadership(claim: LeadershipClaim): Promise<Leadership> {
    return leaders.claimLeadership(this.ctx, claim);
  }
  releaseLeadership(input: { role: LeaderRole; holder: string; nowMs: number }): Promise<void> {
    return leaders.releaseLeadership(this.ctx, input);
  }
  getLeadership(input: { role: LeaderRole; asker: string; nowMs: number }): Promise<Leadership> {
    return leaders.getLeadership(this.ctx, input);
  }

  getLockdown(): Promise<Lockdown> {
    return lockdown.readLockdown(this.ctx.db);
  }
  getFleetSwitches(): Promise<{ killSwitch: KillSwitch; lockdown: Lockdown }> {
    return lockdown.readFleetSwitches(this.ctx.db);
  }
  setLockdown(input: { on: boolean; reason: string | null; nowMs: number; actor: string }): Promise<Lockdown> {
    return lockdown.setLockdown(this.ctx, input);
  }
  recordTripcodeUse(use: TripcodeUse): Promise<TripcodeUseResult> {
    return recordTripcodeUse(this.ctx, use);
  }
  auditHead(): Promise<AuditHead | null> {
    return seals.readAuditHead(this.ctx);
  }
  appendAuditSeals(input: { seals: readonly AuditSeal[]; head: AuditHead; expectedHeadSeq: number }): Promise<boolean> {
    return seals.appendAuditSeals(this.ctx, input);
  }
  readAuditSeals(input: { afterSeq: number; limit: number }): Promise<readonly AuditSeal[]> {
    return seals.readAuditSeals(this.ctx, input);
  }
  createPipelineRun(input: NewPipelineRun): Promise<PipelineRun> {
    return pipelineRuns.createPipelineRun(this.ctx, input);
  }
  getPipelineRun(id: string): Promise<PipelineRun | null> {
    return pipelineRuns.getPipelineRun(this.ctx, id);
  }
  updatePipelineRun(input: PipelineRunUpdate): Promise<PipelineRun> {
    return pipelineRuns.updatePipelineRun(this.ctx, input);
  }
  listPipelineRuns(input: PageRequest): Promise<Page<PipelineRun>> {
    return pipelineRuns.listPipelineRuns(this.ctx, input);
  }

  enqueueNodeCommand(input: NewNodeCommand): Promise<NodeCommand> {
    return commands.enqueueNodeCommand(this.ctx, input);
  }
  getNodeCommand(id: string): Promise<NodeCommand | null> {
    return commands.getNodeCommand(this.ctx, id);
  }
  takeNodeCommands(input: { nodeId: string; limit: number; nowMs: number }): Promise<readonly NodeCommand[]> {
    return commands.takeNodeCommands(this.ctx, input);
  }
  finishNodeCommand(input: NodeCommandOutcome): Promise<NodeCommand> {
    return commands.finishNodeCommand(this.ctx, input);
  }
  listNodeCommands(input: { taskId: string } & PageRequest): Promise<Page<NodeCommand>> {
    return commands.listNodeCommands(this.ctx, input);
  }
  workspaceNodeOf(taskId: string): Promise<string | null> {
    return commands.workspaceNodeOf(this.ctx, taskId);
  }
}
