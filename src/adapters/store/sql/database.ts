import type { ColumnType, Generated } from 'kysely';

/**
 * Row types of the store's tables. Integer columns are 64-bit in the schema; some drivers return
 * them as strings or bigints, so they are typed as `Int8` on read and must be normalised with
 * `toNum` (see `numbers.ts`).
 */
export type Int8 = ColumnType<number | string | bigint, number, number>;
export type NullableInt8 = ColumnType<number | string | bigint | null, number | null, number | null>;
export type Float8 = ColumnType<number | string, number, number>;
export type AutoSeq = number | string | bigint;

export interface TasksTable {
  id: string;
  spec: string;
  state: string;
  reason: string | null;
  message: string | null;
  desired: string;
  attempts: Int8;
  fencing_token: Int8;
  node_id: string | null;
  lease_expires_at: NullableInt8;
  not_before: Int8;
  usage_iterations: Int8;
  usage_tokens_in: Int8;
  usage_tokens_out: Int8;
  usage_usd: Float8;
  runtime_ms: Int8;
  workspace_path: string | null;
  priority: Int8;
  agent: string;
  /** The spec's project (`default` when it names none), for lists filtered by project. */
  project: Generated<string>;
  /** Lower-cased id and prompt for the list's text search (`taskSearchText`). */
  search_text: Generated<string>;
  requires: string;
  created_at: Int8;
  updated_at: Int8;
  started_at: NullableInt8;
  finished_at: NullableInt8;
  /** Optimistic concurrency: every update bumps it and checks the value it read. */
  row_version: Int8;
}

export interface TaskLabelsTable {
  task_id: string;
  key: string;
  value: string;
}

export interface GuidanceTable {
  task_id: string;
  seq: Int8;
  text: string;
  actor: string;
  created_at: Int8;
  delivered_at: NullableInt8;
  delivery_mode: string | null;
}

export interface UsageDailyTable {
  day: string;
  project: string;
  node_id: string;
  tokens_in: Int8;
  tokens_out: Int8;
  usd: number;
}

/** Spend of the whole fleet per hour (`hour`: epoch ms of the hour's start). */
export interface UsageHourlyTable {
  hour: Int8;
  tokens_in: Int8;
  tokens_out: Int8;
  usd: number;
}

export interface BudgetsTable {
  project: string;
  daily_usd: number | null;
  daily_tokens: NullableInt8;
  actor: string;
  updated_at: Int8;
}

export interface IterationReportsTable {
  task_id: string;
  attempt: Int8;
  iteration: Int8;
  kind: string;
  at: Int8;
}

export interface EventsTable {
  seq: Generated<AutoSeq>;
  type: string;
  task_id: string | null;
  node_id: string | null;
  at: Int8;
  data: string;
}

export interface TaskLogsTable {
  seq: Generated<AutoSeq>;
  task_id: string;
  attempt: Int8;
  iteration: Int8;
  stream: string;
  at: Int8;
  text: string;
}

export interface NodesTable {
  id: string;
  name: string;
  capabilities: string;
  slots: Int8;
  liveness: string;
  scheduling: string;
  resources: string;
  version: string;
  joined_at: Int8;
  last_heartbeat_at: Int8;
}

export interface TokensTable {
  id: string;
  kind: string;
  role: string;
  secret_hash: string;
  node_id: string | null;
  label: string | null;
  created_at: Int8;
  expires_at: NullableInt8;
  single_use: Int8;
  used_at: NullableInt8;
  revoked_at: NullableInt8;
}

export interface SettingsTable {
  id: Int8;
  killswitch_on: Int8;
  killswitch_reason: string | null;
  killswitch_changed_at: NullableInt8;
  killswitch_changed_by: string | null;
  lockdown_on: Int8;
  lockdown_reason: string | null;
  lockdown_changed_at: NullableInt8;
  lockdown_changed_by: string | null;
}

export interface HqSecretsTable {
  name: string;
  value: string;
  created_at: Int8;
}

export interface NodeCommandsTable {
  id: string;
  node_id: string;
  task_id: string;
  kind: string;
  args: string;
  state: string;
  result: string | null;
  error: string | null;
  actor: string;
  created_at: Int8;
  updated_at: Int8;
}

export interface LeadersTable {
  role: string;
  holder: string;
  term: Int8;
  acquired_at: Int8;
  expires_at: Int8;
}

export interface PipelineRunsTable {
  id: string;
  state: string;
  intent: string;
  project: string | null;
  spec: string;
  snapshot_id: string | null;
  evidence: string;
  error: string | null;
  created_at: Int8;
  updated_at: Int8;
  version: Int8;
}

export interface TripcodeUsesTable {
  nonce: string;
  code: string;
  family: string;
  actor: string;
  used_at: Int8;
}

export interface AuditSealsTable {
  seq: Int8;
  event_seq: Int8;
  at: Int8;
  entry: string;
  prev_hash: string;
  hash: string;
  sig: string;
}

export interface AuditHeadTable {
  id: Int8;
  seq: Int8;
  event_seq: Int8;
  hash: string;
  sig: string;
  sealed_at: Int8;
}

export interface Database {
  tasks: TasksTable;
  task_labels: TaskLabelsTable;
  guidance: GuidanceTable;
  iteration_reports: IterationReportsTable;
  events: EventsTable;
  task_logs: TaskLogsTable;
  nodes: NodesTable;
  tokens: TokensTable;
  settings: SettingsTable;
  hq_secrets: HqSecretsTable;
  node_commands: NodeCommandsTable;
  usage_daily: UsageDailyTable;
  usage_hourly: UsageHourlyTable;
  budgets: BudgetsTable;
  leaders: LeadersTable;
  pipeline_runs: PipelineRunsTable;
  tripcode_uses: TripcodeUsesTable;
  audit_seals: AuditSealsTable;
  audit_head: AuditHeadTable;
}
