/** A fresh HQ store with a registered fleet, and submitting a queue to it. */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryBus } from '../../src/adapters/bus/memory/memory-bus.js';
import { SystemClock } from '../../src/adapters/clock/system/system-clock.js';
import { RandomIds } from '../../src/adapters/ids/random/random-ids.js';
import { SqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import type { TaskCreateParsed } from '../../src/contract/task-schemas.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import type { Store } from '../../src/core/ports/store.js';
import type { HqConfig } from '../../src/services/hq/hq-config.js';
import type { HqDeps } from '../../src/services/hq/hq-deps.js';
import { submitTask } from '../../src/services/hq/submit-task.js';
import type { DispatchStorage } from './dispatch-types.js';
import { NODE_PROFILES } from './fleet-workload.js';

export interface Env {
  readonly deps: HqDeps;
  readonly store: Store;
  /** The database file, or null for `:memory:`. */
  readonly file: string | null;
  /** Close the store; the file is removed unless `keepFile`. */
  close(keepFile?: boolean): Promise<void>;
}

/**
 * A store with `nodes` registered nodes, enough slots for `capacity` tasks even when all of them
 * need the same profile: fresh, or (file storage) a copy of `template`, a closed database file
 * prepared the same way. The store can be wrapped (e.g. to observe it).
 */
export async function openEnv(
  storage: DispatchStorage,
  nodes: number,
  capacity: number,
  config: HqConfig,
  opts: { wrap?: (s: Store) => Store; template?: string } = {},
): Promise<Env> {
  const dir = storage === 'file' ? mkdtempSync(join(tmpdir(), 'cortical-dispatch-')) : null;
  const file = dir === null ? null : join(dir, 'hq.db');
  if (file !== null && opts.template !== undefined) copyFileSync(opts.template, file);
  const raw = await SqliteStore.create(file ?? ':memory:');
  const store = opts.wrap?.(raw) ?? raw;
  const clock = new SystemClock();
  const deps: HqDeps = {
    store,
    bus: new MemoryBus(),
    clock,
    ids: new RandomIds(() => clock.nowMs()),
    logger: silentLogger,
    config,
  };
  if (file === null || opts.template === undefined) {
    const slots = Math.max(1, Math.ceil((capacity * NODE_PROFILES.length) / nodes));
    for (let i = 0; i < nodes; i++) {
      await store.registerNode({
        id: `node_${String(i).padStart(4, '0')}`,
        name: `bench-${i}`,
        capabilities: [...NODE_PROFILES[i % NODE_PROFILES.length]!, `region-${['eu', 'us', 'ap'][i % 3]!}`],
        slots,
        resources: { cpuCount: 16, loadAvg1: 0.5, memTotalMb: 65536, memFreeMb: 32768 },
        version: 'bench',
        nowMs: clock.nowMs(),
      });
    }
  }
  return {
    deps,
    store,
    file,
    close: async (keepFile = false) => {
      await deps.bus.close();
      await raw.close();
      if (dir !== null && !keepFile) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Submit every request through the service, one at a time, in `chunks` consecutive timed chunks;
 * returns tasks per second of each chunk.
 */
export async function submitAll(deps: HqDeps, requests: readonly TaskCreateParsed[], chunks = 1): Promise<number[]> {
  const rates: number[] = [];
  for (let c = 0; c < chunks; c++) {
    const from = Math.floor((c * requests.length) / chunks);
    const to = Math.floor(((c + 1) * requests.length) / chunks);
    const start = performance.now();
    for (let i = from; i < to; i++) await submitTask(deps, requests[i]!, 'bench');
    rates.push((to - from) / ((performance.now() - start) / 1000));
  }
  return rates;
}

export async function expectAllLeased(store: Store, tasks: number, what: string): Promise<void> {
  const counts = await store.countTasksByState();
  if (counts.queued !== 0 || counts.leased !== tasks) {
    throw new Error(`${what}: expected ${tasks} leased and none queued, got ${JSON.stringify(counts)}`);
  }
}
