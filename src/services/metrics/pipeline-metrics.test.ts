import fc from 'fast-check';
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CAPABILITY_TIERS } from '../../core/plan-steps.js';
import { PrometheusPipelineMetrics } from './pipeline-metrics.js';

async function scrape(registry: Registry): Promise<PrometheusFamily[]> {
  return parsePrometheusTextFormat(await registry.metrics());
}

function family(families: readonly PrometheusFamily[], name: string): PrometheusFamily {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`metric ${name} missing; have ${families.map((x) => x.name).join(', ')}`);
  return f;
}

/** The value of the sample whose labels include `labels`; undefined when there is none. */
function value(families: readonly PrometheusFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const sample = family(families, name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample?.value === undefined ? undefined : Number(sample.value);
}

function fresh(): { registry: Registry; sink: PrometheusPipelineMetrics } {
  const registry = new Registry();
  return { registry, sink: new PrometheusPipelineMetrics(registry) };
}

describe('PrometheusPipelineMetrics', () => {
  it('starts with every known label value at 0 and no ratio samples (no NaN)', async () => {
    const { registry } = fresh();
    const text = await registry.metrics();
    expect(text).not.toMatch(/NaN/i);
    const f = parsePrometheusTextFormat(text);
    expect(value(f, 'cortical_plans_checked_total', { typeable: 'true' })).toBe(0);
    expect(value(f, 'cortical_plans_checked_total', { typeable: 'false' })).toBe(0);
    expect(family(f, 'cortical_debates_total').metrics).toHaveLength(6);
    for (const tier of CAPABILITY_TIERS) expect(value(f, 'cortical_tool_errors_total', { tier })).toBe(0);
    expect(value(f, 'cortical_verify_total', { result: 'pass' })).toBe(0);
    expect(value(f, 'cortical_promote_total', { result: 'failure' })).toBe(0);
    expect(value(f, 'cortical_health_probes_total', { result: 'fail' })).toBe(0);
    for (const ratio of [
      'cortical_plan_typeability_ratio',
      'cortical_debate_agreement_ratio',
      'cortical_verify_pass_ratio',
      'cortical_promote_success_ratio',
      'cortical_health_probe_slo_ratio',
    ]) {
      expect(family(f, ratio).type).toBe('GAUGE');
      expect(family(f, ratio).metrics).toEqual([]);
    }
    expect(family(f, 'cortical_simulate_seconds').metrics[0]?.count).toBe('0');
  });

  it('moves counters, the histogram and the ratios as the sink is called', async () => {
    const { registry, sink } = fresh();
    sink.planChecked(false);
    sink.planChecked(true);
    sink.planChecked(true);
    sink.debateFinished(true, 'ACCEPT');
    sink.debateFinished(false, 'REJECT');
    sink.simulateFinished(0.2, true);
    sink.simulateFinished(3, false);
    sink.verifyFinished(true);
    sink.promoteFinished(true);
    sink.healthProbe(true);
    sink.healthProbe(true);
    sink.healthProbe(true);
    sink.healthProbe(false);
    sink.toolError('T2');
    sink.toolError('T2');

    const f = await scrape(registry);
    expect(value(f, 'cortical_plans_checked_total', { typeable: 'false' })).toBe(1);
    expect(value(f, 'cortical_plans_checked_total', { typeable: 'true' })).toBe(2);
    expect(value(f, 'cortical_plan_typeability_ratio')).toBeCloseTo(2 / 3, 12);
    expect(value(f, 'cortical_debates_total', { decision: 'ACCEPT', agreed: 'true' })).toBe(1);
    expect(value(f, 'cortical_debates_total', { decision: 'REJECT', agreed: 'false' })).toBe(1);
    expect(value(f, 'cortical_debates_total', { decision: 'ERROR', agreed: 'false' })).toBe(0);
    expect(value(f, 'cortical_debate_agreement_ratio')).toBe(0.5);
    expect(value(f, 'cortical_verify_pass_ratio')).toBe(1);
    expect(value(f, 'cortical_promote_success_ratio')).toBe(1);
    expect(value(f, 'cortical_health_probes_total', { result: 'fail' })).toBe(1);
    expect(value(f, 'cortical_health_probe_slo_ratio')).toBe(0.75);
    expect(value(f, 'cortical_tool_errors_total', { tier: 'T2' })).toBe(2);
    expect(value(f, 'cortical_tool_errors_total', { tier: 'T3' })).toBe(0);
    expect(value(f, 'cortical_simulate_total', { result: 'ok' })).toBe(1);
    expect(value(f, 'cortical_simulate_total', { result: 'fail' })).toBe(1);

    const sim = family(f, 'cortical_simulate_seconds');
    expect(sim.type).toBe('HISTOGRAM');
    const h = sim.metrics[0]!;
    expect(Number(h.count)).toBe(2);
    expect(Number(h.sum)).toBeCloseTo(3.2, 12);
    expect(h.buckets?.['0.1']).toBe('0');
    expect(h.buckets?.['0.25']).toBe('1');
    expect(h.buckets?.['5']).toBe('2');
    expect(h.buckets?.['+Inf']).toBe('2');
  });

  it('counts a simulate run with an unusable duration without observing it', async () => {
    const { registry, sink } = fresh();
    sink.simulateFinished(Number.NaN, false);
    sink.simulateFinished(-1, true);
    const f = await scrape(registry);
    expect(value(f, 'cortical_simulate_total', { result: 'fail' })).toBe(1);
    expect(value(f, 'cortical_simulate_total', { result: 'ok' })).toBe(1);
    expect(family(f, 'cortical_simulate_seconds').metrics[0]?.count).toBe('1');
    expect(family(f, 'cortical_simulate_seconds').metrics[0]?.sum).toBe('0');
  });

  it('keeps registries apart, and refuses a second set on one registry', async () => {
    const a = fresh();
    const b = fresh();
    a.sink.verifyFinished(false);
    b.sink.verifyFinished(true);
    expect(value(await scrape(a.registry), 'cortical_verify_pass_ratio')).toBe(0);
    expect(value(await scrape(b.registry), 'cortical_verify_pass_ratio')).toBe(1);
    expect(() => new PrometheusPipelineMetrics(a.registry)).toThrow(/already been registered/);
  });

  it('computes every ratio as hits / all for any sequence of reports', async () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant('plan' as const), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('debate' as const), ok: fc.boolean(), decision: fc.constantFrom('ACCEPT' as const, 'REJECT' as const, 'ERROR' as const) }),
      fc.record({ kind: fc.constant('verify' as const), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('promote' as const), ok: fc.boolean() }),
      fc.record({ kind: fc.constant('probe' as const), ok: fc.boolean() }),
    );
    const ratioName = {
      plan: 'cortical_plan_typeability_ratio',
      debate: 'cortical_debate_agreement_ratio',
      verify: 'cortical_verify_pass_ratio',
      promote: 'cortical_promote_success_ratio',
      probe: 'cortical_health_probe_slo_ratio',
    } as const;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 40 }), async (events) => {
        const { registry, sink } = fresh();
        const tally = { plan: [0, 0], debate: [0, 0], verify: [0, 0], promote: [0, 0], probe: [0, 0] };
        for (const e of events) {
          if (e.kind === 'plan') sink.planChecked(e.ok);
          else if (e.kind === 'debate') sink.debateFinished(e.ok, e.decision);
          else if (e.kind === 'verify') sink.verifyFinished(e.ok);
          else if (e.kind === 'promote') sink.promoteFinished(e.ok);
          else sink.healthProbe(e.ok);
          tally[e.kind][0]! += e.ok ? 1 : 0;
          tally[e.kind][1]! += 1;
        }
        const f = await scrape(registry);
        for (const kind of Object.keys(ratioName) as (keyof typeof ratioName)[]) {
          const [hits, all] = tally[kind] as [number, number];
          const got = value(f, ratioName[kind]);
          if (all === 0) expect(got).toBeUndefined();
          else expect(got).toBeCloseTo(hits / all, 12);
        }
      }),
      { numRuns: 60 },
    );
  });
});
