import type { RecoveryActions } from './tripcode-service.js';
/**
 * Test support: an Hq on given ports with a fake clock, sequential ids and short timings, plus
 * helpers to mint tokens and join nodes. Tests pass in the real store and bus adapters.
 */
import type { Role } from '../../core/auth.js';
import { FakeClock } from '../../core/clock.js';
import { SequentialIds } from '../../core/ids.js';
import type { Bus } from '../../core/ports/bus.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { Store } from '../../core/ports/store.js';
import { TaskCreateRequest, type TaskCreateRequest as TaskCreateInput } from '../../contract/task-schemas.js';
import type { Task } from '../../core/task.js';
import type { HqConfig } from './hq-config.js';
import { Hq } from './hq.js';
import type { NodeCredentials } from './node-registry.js';

export const TEST_HQ_CONFIG: Partial<HqConfig> = {
  leaseTtlMs: 10_000,
  heartbeatIntervalMs: 1_000,
  nodeLostAfterMs: 20_000,
  nodeAccessTtlMs: 60_000,
  schedulerIntervalMs: 50,
  reaperIntervalMs: 50,
  eventPollIntervalMs: 50,
  version: '9.9.9-test',
};

export interface HqHarness {
  readonly hq: Hq;
  readonly store: Store;
  readonly bus: Bus;
  readonly clock: FakeClock;
  /** Plaintext of the first admin token. */
  readonly adminToken: string;
  /** A new API token of a user role. */
  tokenFor(role: Exclude<Role, 'node'>): Promise<string>;
  /** A new join token (plaintext). */
  joinToken(opts?: { singleUse?: boolean; ttlMs?: number | null }): Promise<string>;
  /** Join a node with a fresh join token. */
  joinNode(opts?: { name?: string; capabilities?: string[]; slots?: number }): Promise<NodeCredentials>;
  /** Submit a task through the service (input as on the wire). */
  submit(input: TaskCreateInput): Promise<Task>;
  close(): Promise<void>;
}

export async function createHqHarness(input: {
  store: Store;
  bus: Bus;
  config?: Partial<HqConfig>;
  /** Tripcode recovery actions (revert a snapshot, reimage) the test supplies. */
  recoveryActions?: Partial<RecoveryActions>;
}): Promise<HqHarness> {
  const clock = new FakeClock();
  const hq = new Hq({
    store: input.store,
    bus: input.bus,
    clock,
    ids: new SequentialIds(),
    logger: silentLogger,
    config: { ...TEST_HQ_CONFIG, ...input.config },
    recoveryActions: input.recoveryActions,
  });
  const adminToken = await hq.auth.ensureAdminToken();
  if (adminToken === null) throw new Error('expected a fresh store');
  let nodes = 0;
  const harness: HqHarness = {
    hq,
    store: input.store,
    bus: input.bus,
    clock,
    adminToken,
    tokenFor: async (role) => (await hq.auth.createToken({ role, actor: 'test' })).token,
    joinToken: async (opts = {}) =>
      (await hq.auth.createToken({ role: 'node', actor: 'test', singleUse: opts.singleUse, ttlMs: opts.ttlMs })).token,
    joinNode: async (opts = {}) => {
      nodes += 1;
      return hq.nodes.join({
        joinToken: await harness.joinToken(),
        name: opts.name ?? `node-${nodes}`,
        capabilities: opts.capabilities ?? [],
        slots: opts.slots ?? 1,
        resources: { cpuCount: 4, loadAvg1: 0.1, memTotalMb: 8192, memFreeMb: 4096 },
        version: 'test',
      });
    },
    submit: (task) => hq.submitTask(TaskCreateRequest.parse(task), 'test'),
    close: async () => {
      await input.bus.close();
      await input.store.close();
    },
  };
  return harness;
}
