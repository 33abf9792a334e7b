import { expect } from 'vitest';
import type { FakeClock } from '../../../core/clock.js';
import { CorticalError, type ErrorCode } from '../../../core/errors.js';
import type { EventType } from '../../../core/events.js';
import type { SequentialIds } from '../../../core/ids.js';
import type { FleetNode } from '../../../core/node.js';
import type { LeaseClaimInput, NodeRegistration, Store } from '../../../core/ports/store.js';
import type { Task, TaskSpec } from '../../../core/task.js';

export const LEASE_TTL_MS = 30_000;

/** Shared state of one contract test: a fresh, migrated store, a fake clock and ids. */
export interface ContractEnv {
  readonly store: Store;
  readonly clock: FakeClock;
  readonly ids: SequentialIds;
}

export type EnvGetter = () => ContractEnv;

export function makeSpec(overrides: Partial<TaskSpec> = {}): TaskSpec {
  return {
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
    retryBackoffMs: 1_000,
    labels: {},
    ...overrides,
  };
}

export function nodeRegistration(overrides: Partial<NodeRegistration> = {}): NodeRegistration {
  return {
    name: 'node-a',
    capabilities: ['shell'],
    slots: 2,
    resources: { cpuCount: 4, loadAvg1: 0.5, memTotalMb: 8_000, memFreeMb: 4_000 },
    version: '0.1.0',
    ...overrides,
  };
}

export function must<T>(value: T | null | undefined, what = 'value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}

/** Assert that a call fails with a CorticalError of the given code; returns the error. */
export async function expectCode(call: Promise<unknown>, code: ErrorCode): Promise<CorticalError> {
  try {
    await call;
  } catch (e) {
    expect(e).toBeInstanceOf(CorticalError);
    const err = e as CorticalError;
    expect(err.code).toBe(code);
    return err;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

export async function addTask(env: ContractEnv, spec: Partial<TaskSpec> = {}): Promise<Task> {
  const task = await env.store.createTask({
    id: env.ids.newId('task'),
    spec: makeSpec(spec),
    nowMs: env.clock.nowMs(),
    actor: 'tester',
  });
  env.clock.advance(1);
  return task;
}

export async function addNode(env: ContractEnv, overrides: Partial<NodeRegistration> = {}): Promise<FleetNode> {
  return env.store.registerNode({ ...nodeRegistration(overrides), id: env.ids.newId('node'), nowMs: env.clock.nowMs() });
}

/** Grant one task to one node through commitPlan; fails the test when not granted. */
export async function grant(env: ContractEnv, taskId: string, nodeId: string): Promise<Task> {
  const result = await env.store.commitPlan({
    plan: { placements: [{ taskId, nodeId }], unplaced: [] },
    nowMs: env.clock.nowMs(),
    leaseTtlMs: LEASE_TTL_MS,
  });
  expect(result.rejected).toEqual([]);
  return must(result.granted[0], 'a granted task');
}

export function claimOf(task: Task): LeaseClaimInput {
  return { taskId: task.id, nodeId: must(task.nodeId, 'nodeId'), fencingToken: task.fencingToken };
}

/** A task leased to a fresh node and started (running). */
export async function runningTask(
  env: ContractEnv,
  spec: Partial<TaskSpec> = {},
): Promise<{ task: Task; node: FleetNode }> {
  const node = await addNode(env);
  const created = await addTask(env, spec);
  const leased = await grant(env, created.id, node.id);
  const task = await env.store.startAttempt({ claim: claimOf(leased), nowMs: env.clock.nowMs(), workspacePath: '/w/1' });
  return { task, node };
}

export async function eventTypes(store: Store, taskId?: string): Promise<EventType[]> {
  const events = await store.readEvents({ afterSeq: 0, limit: 10_000, taskId });
  return events.map((e) => e.type);
}

export async function countEvents(store: Store, type: EventType, taskId?: string): Promise<number> {
  return (await store.readEvents({ afterSeq: 0, limit: 10_000, taskId, types: [type] })).length;
}
