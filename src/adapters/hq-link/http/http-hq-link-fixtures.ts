/** Test data shared by the HTTP HQ link's tests: a node credential and a leased task. */
import type { Task } from '../../../core/task.js';

export const credential = {
  nodeId: 'node_1',
  accessToken: 'tok_access.aaaaaaaaaaaaaaaaaaaa',
  accessExpiresAt: 2_000_000_000_000,
  refreshToken: 'tok_refresh.bbbbbbbbbbbbbbbbbbbb',
  leaseTtlMs: 30_000,
  heartbeatIntervalMs: 5_000,
};
export const task: Task = {
  id: 'task_1',
  spec: {
    prompt: 'echo hi',
    agent: 'shell',
    mode: 'once',
    requires: [],
    repo: null,
    until: null,
    guardrails: { maxIterations: 1, timeoutMs: null, iterationTimeoutMs: null, budgetTokens: null, budgetUsd: null, stuckAfterIterations: null },
    priority: 0,
    maxAttempts: 3,
    retryBackoffMs: 1000,
    labels: {},
  },
  state: 'leased',
  reason: null,
  message: null,
  desired: 'run',
  attempts: 1,
  fencingToken: 4,
  nodeId: 'node_1',
  leaseExpiresAt: 1_700_000_030_000,
  notBefore: 0,
  usage: { iterations: 0, tokensIn: 0, tokensOut: 0, usd: 0 },
  runtimeMs: 0,
  workspacePath: null,
  createdAt: 1,
  updatedAt: 1,
  startedAt: null,
  finishedAt: null,
};
