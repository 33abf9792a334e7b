import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { Store } from '../../core/ports/store.js';
import { TASK_STATES } from '../../core/task.js';
import { createHqHarness, type HqHarness } from '../hq/hq-test-harness.js';
import { runSchedulingPass } from '../hq/scheduler-loop.js';
import { FleetMetrics, type FleetMetricsOptions } from './fleet-metrics.js';
import { createHqMetrics } from './metrics-registry.js';

let h: HqHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(): Promise<HqHarness> {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  return h;
}

function fleetOn(hh: HqHarness, options: FleetMetricsOptions = {}): { registry: Registry; fleet: FleetMetrics } {
  const registry = new Registry();
  const fleet = new FleetMetrics(registry, hh.hq.deps, { processMetrics: false, ...options });
  return { registry, fleet };
}

async function scrape(registry: Registry): Promise<PrometheusFamily[]> {
  return parsePrometheusTextFormat(await registry.metrics());
}

function value(families: readonly PrometheusFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`metric ${name} missing`);
  const sample = f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample?.value === undefined ? undefined : Number(sample.value);
}

describe('FleetMetrics', () => {
  it('reflects tasks, nodes, free slots and the kill switch of a real HQ', async () => {
    const hh = await harness();
    const { registry } = fleetOn(hh);

    let f = await scrape(registry);
    for (const state of TASK_STATES) expect(value(f, 'cortical_tasks', { state })).toBe(0);
    expect(value(f, 'cortical_nodes', { liveness: 'ready', scheduling: 'active' })).toBe(0);
    expect(value(f, 'cortical_killswitch_on')).toBe(0);

    const lostSoon = await hh.joinNode({ name: 'a-lost', slots: 1 });
    hh.clock.advance(hh.hq.config.nodeLostAfterMs + 1_000);
    await hh.joinNode({ name: 'b-busy', slots: 3 });
    const cordoned = await hh.joinNode({ name: 'c-cordoned', slots: 2 });
    await hh.hq.nodes.cordon(cordoned.nodeId, 'test');
    const reaped = await hh.store.reapExpired({ nowMs: hh.clock.nowMs(), nodeLostAfterMs: hh.hq.config.nodeLostAfterMs, limit: 10 });
    expect(reaped.nodesLost).toEqual([lostSoon.nodeId]);

    const tasks = [];
    for (let i = 0; i < 4; i++) tasks.push(await hh.submit({ prompt: `task ${i}` }));
    await hh.hq.controls.stop(tasks[3]!.id, 'test');
    const pass = await runSchedulingPass(hh.hq.deps);
    expect(pass.granted).toHaveLength(3);
    await hh.hq.killSwitch.set({ on: true, reason: 'test', actor: 'test' });

    hh.clock.advance(1_000);
    f = await scrape(registry);
    expect(value(f, 'cortical_tasks', { state: 'leased' })).toBe(3);
    expect(value(f, 'cortical_tasks', { state: 'cancelled' })).toBe(1);
    expect(value(f, 'cortical_tasks', { state: 'queued' })).toBe(0);
    expect(value(f, 'cortical_nodes', { liveness: 'lost', scheduling: 'active' })).toBe(1);
    expect(value(f, 'cortical_nodes', { liveness: 'ready', scheduling: 'active' })).toBe(1);
    expect(value(f, 'cortical_nodes', { liveness: 'ready', scheduling: 'cordoned' })).toBe(1);
    expect(value(f, 'cortical_nodes', { liveness: 'ready', scheduling: 'draining' })).toBe(0);
    expect(value(f, 'cortical_node_free_slots')).toBe(0);
    expect(value(f, 'cortical_killswitch_on')).toBe(1);
    expect(value(f, 'cortical_nodes_scan_truncated')).toBe(0);
  });

  it('serves one reading for cacheMs, then reads again', async () => {
    const hh = await harness();
    const { registry } = fleetOn(hh, { cacheMs: 1_000 });
    await hh.submit({ prompt: 'one' });
    expect(value(await scrape(registry), 'cortical_tasks', { state: 'queued' })).toBe(1);

    await hh.submit({ prompt: 'two' });
    hh.clock.advance(999);
    expect(value(await scrape(registry), 'cortical_tasks', { state: 'queued' })).toBe(1);
    hh.clock.advance(1);
    expect(value(await scrape(registry), 'cortical_tasks', { state: 'queued' })).toBe(2);
  });

  it('reads at most maxNodesScanned nodes and says so', async () => {
    const hh = await harness();
    for (const name of ['n1', 'n2', 'n3']) await hh.joinNode({ name, slots: 2 });
    const pages: (number | undefined)[] = [];
    const store = hh.store;
    const counting: Pick<Store, 'countTasksByState' | 'getKillSwitch' | 'listNodes'> = {
      countTasksByState: () => store.countTasksByState(),
      getKillSwitch: () => store.getKillSwitch(),
      listNodes: (filter) => {
        pages.push(filter.limit);
        return store.listNodes(filter);
      },
    };
    const registry = new Registry();
    new FleetMetrics(registry, { store: counting, clock: hh.clock, logger: silentLogger }, { maxNodesScanned: 2, processMetrics: false });
    const f = await scrape(registry);
    expect(pages).toEqual([2]);
    expect(value(f, 'cortical_nodes', { liveness: 'ready', scheduling: 'active' })).toBe(2);
    expect(value(f, 'cortical_node_free_slots')).toBe(4);
    expect(value(f, 'cortical_nodes_scan_truncated')).toBe(1);
  });

  it('keeps the last values and counts the error when the store fails', async () => {
    const hh = await harness();
    await hh.submit({ prompt: 'one' });
    let broken = false;
    const store = hh.store;
    const flaky: Pick<Store, 'countTasksByState' | 'getKillSwitch' | 'listNodes'> = {
      countTasksByState: () => (broken ? Promise.reject(new Error('disk gone')) : store.countTasksByState()),
      getKillSwitch: () => store.getKillSwitch(),
      listNodes: (filter) => store.listNodes(filter),
    };
    const registry = new Registry();
    new FleetMetrics(registry, { store: flaky, clock: hh.clock, logger: silentLogger }, { processMetrics: false });
    expect(value(await scrape(registry), 'cortical_tasks', { state: 'queued' })).toBe(1);
    broken = true;
    hh.clock.advance(5_000);
    const f = await scrape(registry);
    expect(value(f, 'cortical_tasks', { state: 'queued' })).toBe(1);
    expect(value(f, 'cortical_fleet_collect_errors_total')).toBe(1);
  });

  it('exports HQ process metrics prefixed cortical_hq_ on its own registry, for several HQs in one process', async () => {
    const hh = await harness();
    const one = createHqMetrics(hh.hq.deps);
    const two = createHqMetrics(hh.hq.deps);
    for (const m of [one, two]) {
      const f = await scrape(m.registry);
      expect(value(f, 'cortical_hq_process_start_time_seconds')).toBeGreaterThan(0);
      expect(value(f, 'cortical_hq_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(f.some((x) => x.name.startsWith('process_') || x.name.startsWith('nodejs_'))).toBe(false);
    }
  });
});
