/** Wire shapes the task view reads (see src/contract/task-schemas.ts and docs/api.md). */

import type { StoredEventDto, TaskState } from '../../api/types.js';

export type { GuardrailsDto, TaskDto, TaskState, TaskUsageDto } from '../../api/types.js';
export type EventDto = StoredEventDto;

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
