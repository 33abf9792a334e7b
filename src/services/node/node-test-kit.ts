/** Test helpers shared by the node agent's tests (not used by production code). */
import type { NodeIdentity } from '../../core/ports/hq-link.js';
import type { NodeStateStore } from '../../core/ports/node-state.js';
import type { Task, TaskSpec } from '../../core/task.js';

/** A node's identity kept in memory instead of a file. */
export class MemoryNodeState implements NodeStateStore {
  constructor(public identity: NodeIdentity | null = null) {}
  load() {
    return Promise.resolve(this.identity);
  }
  save(i: NodeIdentity) {
    this.identity = i;
    return Promise.resolve();
  }
  clear() {
    this.identity = null;
    return Promise.resolve();
  }
}

/** A task leased to `node_1` running the script agent on `prompt` (loop mode unless `spec` says otherwise). */
export function leasedTask(id: string, prompt: string, over: { spec?: Partial<TaskSpec>; task?: Partial<Task> } = {}): Task {
  return {
    id,
    spec: {
      prompt, agent: 'script', mode: 'loop', requires: [], repo: null, until: null,
      guardrails: { maxIterations: 25, timeoutMs: null, iterationTimeoutMs: null, budgetTokens: null, budgetUsd: null, stuckAfterIterations: null },
      priority: 0, maxAttempts: 3, retryBackoffMs: 10, labels: {}, ...over.spec,
    },
    state: 'leased', reason: null, message: null, desired: 'run', attempts: 1, fencingToken: 1, nodeId: 'node_1',
    leaseExpiresAt: null, notBefore: 0, usage: { iterations: 0, tokensIn: 0, tokensOut: 0, usd: 0 }, runtimeMs: 0,
    workspacePath: null, createdAt: 0, updatedAt: 0, startedAt: null, finishedAt: null, ...over.task,
  };
}
