/** Contract-conforming sample objects for CLI tests (validated with the contract's schemas). */
import { NodeSchema } from '../../../contract/node-schemas.js';
import type { NodeDto } from '../../../contract/node-schemas.js';
import { EventSchema, LogLineSchema, TaskSchema } from '../../../contract/task-schemas.js';
import type { TaskDto } from '../../../contract/task-schemas.js';
import type { EventDto, LogLineDto } from '../api-client.js';

export const T0 = 1_700_000_000_000;

export function sampleTask(overrides: Partial<TaskDto> = {}): TaskDto {
  return TaskSchema.parse({
    id: 'tsk_1',
    spec: {
      prompt: 'echo hello',
      agent: 'shell',
      mode: 'once',
      requires: [],
      repo: null,
      until: null,
      guardrails: {
        maxIterations: 1,
        timeoutMs: null,
        iterationTimeoutMs: null,
        budgetTokens: null,
        budgetUsd: null,
        stuckAfterIterations: null,
      },
      priority: 0,
      maxAttempts: 3,
      retryBackoffMs: 1000,
      labels: {},
    },
    state: 'queued',
    reason: null,
    message: null,
    desired: 'run',
    attempts: 0,
    fencingToken: 0,
    nodeId: null,
    leaseExpiresAt: null,
    notBefore: T0,
    usage: { iterations: 0, tokensIn: 0, tokensOut: 0, usd: 0 },
    runtimeMs: 0,
    workspacePath: null,
    createdAt: T0,
    updatedAt: T0,
    startedAt: null,
    finishedAt: null,
    ...overrides,
  });
}

export function sampleNode(overrides: Partial<NodeDto> = {}): NodeDto {
  return NodeSchema.parse({
    id: 'nod_1',
    name: 'mini',
    capabilities: ['shell', 'script'],
    slots: 2,
    activeLeases: 1,
    freeSlots: 1,
    liveness: 'ready',
    scheduling: 'active',
    state: 'ready',
    resources: { cpuCount: 8, loadAvg1: 0.5, memTotalMb: 16000, memFreeMb: 8000 },
    version: '0.1.0',
    joinedAt: T0,
    lastHeartbeatAt: T0,
    ...overrides,
  });
}

export function sampleEvent(seq: number, type: string, data: Record<string, unknown> = {}, taskId = 'tsk_1'): EventDto {
  return EventSchema.parse({ seq, at: T0 + seq * 1000, type, taskId, nodeId: null, data });
}

export function sampleLog(seq: number, text: string, stream: LogLineDto['stream'] = 'stdout'): LogLineDto {
  return LogLineSchema.parse({ taskId: 'tsk_1', seq, attempt: 1, iteration: 0, stream, at: T0 + seq, text });
}

/** One SSE message carrying an event, as HQ streams it. */
export function sseMessage(ev: EventDto): string {
  return `id: ${ev.seq}\nevent: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
}

/** A list read after a sequence number, as HQ pages task events and logs. */
export function afterPage<T extends { seq: number }>(items: T[], after = 0): { items: T[]; nextAfter: number } {
  return { items, nextAfter: items.at(-1)?.seq ?? after };
}
