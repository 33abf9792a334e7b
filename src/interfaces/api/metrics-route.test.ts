import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { createHqMetrics, type HqMetrics } from '../../services/metrics/metrics-registry.js';
import { call } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';
import { registerMetricsRoute } from './metrics-route.js';

let h: HqHarness;
let metrics: HqMetrics;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  metrics = createHqMetrics(h.hq.deps);
});
afterEach(async () => {
  await h.close();
});

function appWith(opts: { public?: boolean } = {}) {
  const app = createApiApp(h.hq);
  registerMetricsRoute(app, h.hq, { registry: metrics.registry, ...opts });
  return app;
}

function value(families: readonly PrometheusFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`metric ${name} missing`);
  const sample = f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample?.value === undefined ? undefined : Number(sample.value);
}

describe('GET /metrics', () => {
  it('serves the whole registry in the text format, parseable family by family', async () => {
    const app = appWith();
    const res = await call(app, 'GET', '/metrics', { token: await h.tokenFor('viewer') });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusTextFormat(res.text);
    const declared = [...res.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]!.toUpperCase()}`);
    expect(declared.length).toBeGreaterThan(20);
    expect(families.map((f) => `${f.name} ${f.type}`).sort()).toEqual([...declared].sort());
    for (const name of ['cortical_plans_checked_total', 'cortical_tasks', 'cortical_nodes', 'cortical_killswitch_on', 'cortical_hq_process_cpu_seconds_total']) {
      expect(families.some((f) => f.name === name)).toBe(true);
    }
    const samples = res.text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    for (const line of samples) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+$/);
  });

  it('shows what the pipeline reported and the tasks HQ holds', async () => {
    const app = appWith();
    const token = await h.tokenFor('operator');
    const sink = metrics.pipeline;
    sink.planChecked(false);
    sink.debateFinished(true, 'ACCEPT');
    sink.simulateFinished(0.2, true);
    sink.verifyFinished(true);
    sink.promoteFinished(true);
    sink.healthProbe(true);
    sink.healthProbe(false);
    sink.toolError('T2');
    await h.submit({ prompt: 'one' });
    await h.submit({ prompt: 'two' });

    const families = parsePrometheusTextFormat((await call(app, 'GET', '/metrics', { token })).text);
    expect(value(families, 'cortical_plans_checked_total', { typeable: 'false' })).toBe(1);
    expect(value(families, 'cortical_plan_typeability_ratio')).toBe(0);
    expect(value(families, 'cortical_debates_total', { decision: 'ACCEPT', agreed: 'true' })).toBe(1);
    expect(value(families, 'cortical_debate_agreement_ratio')).toBe(1);
    expect(families.find((f) => f.name === 'cortical_simulate_seconds')?.metrics[0]?.count).toBe('1');
    expect(value(families, 'cortical_verify_pass_ratio')).toBe(1);
    expect(value(families, 'cortical_promote_success_ratio')).toBe(1);
    expect(value(families, 'cortical_health_probe_slo_ratio')).toBe(0.5);
    expect(value(families, 'cortical_tool_errors_total', { tier: 'T2' })).toBe(1);
    expect(value(families, 'cortical_tool_errors_total', { tier: 'T0' })).toBe(0);
    expect(value(families, 'cortical_tasks', { state: 'queued' })).toBe(2);
  });

  it('needs a token whose role may read status, unless public', async () => {
    const app = appWith();
    const anonymous = await call(app, 'GET', '/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
    expect((await call(app, 'GET', '/metrics', { token: 'tok_nope.secret' })).status).toBe(401);
    const node = await h.joinNode();
    expect((await call(app, 'GET', '/metrics', { token: node.accessToken })).status).toBe(403);
    expect((await call(app, 'GET', '/metrics', { token: h.adminToken })).status).toBe(200);

    const open = appWith({ public: true });
    const res = await call(open, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(parsePrometheusTextFormat(res.text).some((f) => f.name === 'cortical_tasks')).toBe(true);
  });

  it('is listed in the OpenAPI document', async () => {
    const app = appWith();
    const doc = await call(app, 'GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.paths['/metrics'].get.security).toEqual([{ bearerAuth: [] }]);
  });
});
