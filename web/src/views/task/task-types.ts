/** Wire shapes the task view reads (see src/contract/task-schemas.ts and docs/api.md). */

export type TaskState = 'queued' | 'leased' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

export interface GuardrailsDto {
  maxIterations: number | null;
  timeoutMs: number | null;
  iterationTimeoutMs: number | null;
  budgetTokens: number | null;
  budgetUsd: number | null;
  stuckAfterIterations: number | null;
}

export interface TaskUsageDto {
  iterations: number;
  tokensIn: number;
  tokensOut: number;
  usd: number;
}

export interface TaskDto {
  id: string;
  spec: {
    prompt: string;
    agent: string;
    mode: 'once' | 'loop';
    requires: string[];
    until: string | null;
    guardrails: GuardrailsDto;
    maxAttempts: number;
    labels: Record<string, string>;
    tier?: string;
    project?: string;
    model?: string | null;
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

export interface EventDto {
  seq: number;
  at: number;
  type: string;
  taskId: string | null;
  nodeId: string | null;
  data: Record<string, unknown>;
}

export interface LogLineDto {
  taskId: string;
  seq: number;
  attempt: number;
  iteration: number;
  stream: 'stdout' | 'stderr' | 'system' | 'agent';
  at: number;
  text: string;
}

export interface GuidanceDto {
  taskId: string;
  seq: number;
  text: string;
  createdAt: number;
  actor: string;
  deliveredAt: number | null;
  deliveryMode?: 'live' | 'interrupt_resume' | 'next_iteration' | null;
}

export interface DiffFileDto {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  additions: number;
  deletions: number;
}

export interface DiffDto {
  iteration: number | null;
  files: DiffFileDto[];
  patch: string;
  truncated: boolean;
}

export interface AfterPage<T> {
  items: T[];
  nextAfter: number;
}

export const TERMINAL_STATES: readonly TaskState[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminalState(state: TaskState): boolean {
  return TERMINAL_STATES.includes(state);
}
