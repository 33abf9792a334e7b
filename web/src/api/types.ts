/**
 * The shapes the dashboard reads from the HQ API (`/api/v1`). They mirror the zod contract in
 * src/contract/ and the endpoints listed in docs/api.md; the dashboard only reads these fields.
 */

export type TaskState = 'queued' | 'leased' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

export const TASK_STATES: readonly TaskState[] = ['queued', 'leased', 'running', 'paused', 'succeeded', 'failed', 'cancelled'];

/** Agents a task can name (the driver names HQ knows). */
export const AGENTS = ['shell', 'script', 'claude', 'codex', 'gemini', 'opencode', 'aider', 'builtin'] as const;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface KillSwitchDto {
  on: boolean;
  reason: string | null;
  changedAt: number | null;
  changedBy?: string | null;
  actor?: string | null;
}

export interface StatusDto {
  version: string;
  killSwitch: KillSwitchDto;
  /** Count of tasks per state. */
  tasks: Record<string, number>;
  nodes: { total: number; ready: number; lost: number; freeSlots: number };
  /** Today's (UTC) totals; absent on an older HQ. */
  today?: { date: string; succeeded: number; failed: number; usd: number; tokens: number };
  /** Spend in the last 60 minutes. */
  burnRateUsdPerHour?: number;
}

export interface HourlyUsageDto {
  items: { hour: number; usd: number; tokens: number }[];
}

export interface NodeDto {
  id: string;
  name: string;
  capabilities: string[];
  slots: number;
  activeLeases: number;
  freeSlots: number;
  liveness: 'ready' | 'lost';
  scheduling: 'active' | 'cordoned' | 'draining';
  state: 'ready' | 'lost' | 'cordoned' | 'draining' | 'drained';
  resources: { cpuCount: number; loadAvg1: number; memTotalMb: number; memFreeMb: number };
  version: string;
  joinedAt: number;
  lastHeartbeatAt: number;
}

export interface TaskUsageDto {
  iterations: number;
  tokensIn: number;
  tokensOut: number;
  usd: number;
}

export interface GuardrailsDto {
  maxIterations: number | null;
  timeoutMs: number | null;
  iterationTimeoutMs: number | null;
  budgetTokens: number | null;
  budgetUsd: number | null;
  stuckAfterIterations: number | null;
}

export interface TaskDto {
  id: string;
  spec: {
    prompt: string;
    agent: string;
    mode: 'once' | 'loop';
    requires: string[];
    repo: { path: string; baseRef: string | null } | null;
    until: string | null;
    guardrails: GuardrailsDto;
    maxAttempts: number;
    labels: Record<string, string>;
    project?: string;
    model?: string | null;
    tier?: string;
  };
  state: TaskState;
  reason: string | null;
  message: string | null;
  desired: 'run' | 'pause' | 'pause_now' | 'stop';
  attempts: number;
  nodeId: string | null;
  usage: TaskUsageDto;
  runtimeMs: number;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** One event of the event log (`GET /api/v1/events`, `GET /api/v1/tasks/{id}/events`). */
export interface StoredEventDto {
  seq: number;
  at: number;
  type: string;
  taskId: string | null;
  nodeId: string | null;
  data: Record<string, unknown>;
}

export interface AuditEntryDto {
  seq: number;
  at: number;
  type: string;
  actor: string | null;
  taskId: string | null;
  nodeId: string | null;
  summary: string;
  data: Record<string, unknown>;
}

export interface AuditPage {
  items: AuditEntryDto[];
  nextBefore: number | null;
}
