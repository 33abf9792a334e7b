import { Counter, Gauge, Histogram, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import { CAPABILITY_TIERS, type CapabilityTier } from '../../core/plan-steps.js';
import type { PipelineMetricsSink } from '../../core/ports/pipeline-metrics.js';

/** Upper bounds of `cortical_simulate_seconds`: a simulation takes from a second to minutes. */
export const SIMULATE_SECONDS_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

const DEBATE_DECISIONS = ['ACCEPT', 'REJECT', 'ERROR'] as const;
const BOOLEAN_LABELS = ['true', 'false'] as const;

/**
 * A ratio computed when scraped. Without any event in its denominator it has no sample at all
 * (only its HELP and TYPE lines): never NaN, and never a 0 that would read as "all failed".
 */
class RatioGauge extends Gauge {
  constructor(
    registry: Registry,
    name: string,
    help: string,
    private readonly ratio: () => Promise<number | null>,
  ) {
    super({ name, help, registers: [registry] });
  }

  override async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const value = await this.ratio();
    const metric = await super.get();
    return { ...metric, values: value === null ? [] : [{ value, labels: {} }] };
  }
}

type LabelSet = Readonly<Partial<Record<string, string | number>>>;

/** Sum of a counter's samples whose labels match `where` (every given label equal). */
async function counted(counter: Counter<string>, where: LabelSet = {}): Promise<number> {
  const { values } = await counter.get();
  let sum = 0;
  for (const v of values) {
    const labels: LabelSet = v.labels;
    if (Object.entries(where).every(([k, want]) => labels[k] !== undefined && String(labels[k]) === String(want))) sum += v.value;
  }
  return sum;
}

/** hits / all, or null when nothing was counted. */
async function ratioOf(counter: Counter<string>, hits: LabelSet): Promise<number | null> {
  const [hit, all] = await Promise.all([counted(counter, hits), counted(counter)]);
  return all > 0 ? hit / all : null;
}

/**
 * The safety pipeline's metrics on a given Prometheus registry: counters of what happened, the
 * simulate latency histogram, and the rates the pipeline is judged by (computed from the counters
 * at scrape time, since the process started). Every known label value starts at 0 so that each
 * series exists from the first scrape. Registering twice on one registry throws; use one instance
 * per registry.
 */
export class PrometheusPipelineMetrics implements PipelineMetricsSink {
  private readonly plans: Counter<'typeable'>;
  private readonly debates: Counter<'decision' | 'agreed'>;
  private readonly simulateSeconds: Histogram;
  private readonly simulates: Counter<'result'>;
  private readonly verifies: Counter<'result'>;
  private readonly promotes: Counter<'result'>;
  private readonly healthProbes: Counter<'result'>;
  private readonly toolErrors: Counter<'tier'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.plans = new Counter({
      name: 'cortical_plans_checked_total',
      help: 'Plans parsed and checked; typeable="true" when the plan parsed and every step names a known tool with valid arguments.',
      labelNames: ['typeable'],
      registers,
    });
    this.debates = new Counter({
      name: 'cortical_debates_total',
      help: 'Debates finished, by decision (ACCEPT, REJECT, ERROR) and whether the reviewers agreed without a judge tie-break.',
      labelNames: ['decision', 'agreed'],
      registers,
    });
    this.simulateSeconds = new Histogram({
      name: 'cortical_simulate_seconds',
      help: 'Duration of simulate runs in seconds, successful or not.',
      buckets: [...SIMULATE_SECONDS_BUCKETS],
      registers,
    });
    this.simulates = new Counter({
      name: 'cortical_simulate_total',
      help: 'Simulate runs finished, by result (ok, fail).',
      labelNames: ['result'],
      registers,
    });
    this.verifies = new Counter({
      name: 'cortical_verify_total',
      help: 'Verifications finished, by result (pass, fail).',
      labelNames: ['result'],
      registers,
    });
    this.promotes = new Counter({
      name: 'cortical_promote_total',
      help: 'Promotions finished, by result (success, failure).',
      labelNames: ['result'],
      registers,
    });
    this.healthProbes = new Counter({
      name: 'cortical_health_probes_total',
      help: 'Health probes of services under verification, by result (ok, fail).',
      labelNames: ['result'],
      registers,
    });
    this.toolErrors = new Counter({
      name: 'cortical_tool_errors_total',
      help: 'Failed tool calls (plan steps), by capability tier (T0..T3).',
      labelNames: ['tier'],
      registers,
    });

    for (const typeable of BOOLEAN_LABELS) this.plans.inc({ typeable }, 0);
    for (const decision of DEBATE_DECISIONS) for (const agreed of BOOLEAN_LABELS) this.debates.inc({ decision, agreed }, 0);
    for (const result of ['ok', 'fail']) this.simulates.inc({ result }, 0);
    for (const result of ['pass', 'fail']) this.verifies.inc({ result }, 0);
    for (const result of ['success', 'failure']) this.promotes.inc({ result }, 0);
    for (const result of ['ok', 'fail']) this.healthProbes.inc({ result }, 0);
    for (const tier of CAPABILITY_TIERS) this.toolErrors.inc({ tier }, 0);

    new RatioGauge(
      registry,
      'cortical_plan_typeability_ratio',
      'Share of checked plans that were typeable, since HQ started (absent until a plan is checked).',
      () => ratioOf(this.plans, { typeable: 'true' }),
    );
    new RatioGauge(
      registry,
      'cortical_debate_agreement_ratio',
      'Share of finished debates, any decision, in which the reviewers agreed, since HQ started (absent until a debate ends).',
      () => ratioOf(this.debates, { agreed: 'true' }),
    );
    new RatioGauge(
      registry,
      'cortical_verify_pass_ratio',
      'Share of verifications that passed, since HQ started (absent until one finishes).',
      () => ratioOf(this.verifies, { result: 'pass' }),
    );
    new RatioGauge(
      registry,
      'cortical_promote_success_ratio',
      'Share of promotions that succeeded, since HQ started (absent until one finishes).',
      () => ratioOf(this.promotes, { result: 'success' }),
    );
    new RatioGauge(
      registry,
      'cortical_health_probe_slo_ratio',
      'Share of health probes that were ok, since HQ started (absent until a probe is made).',
      () => ratioOf(this.healthProbes, { result: 'ok' }),
    );
  }

  planChecked(typeable: boolean): void {
    this.plans.inc({ typeable: String(typeable) });
  }

  debateFinished(agreed: boolean, decision: 'ACCEPT' | 'REJECT' | 'ERROR'): void {
    this.debates.inc({ decision, agreed: String(agreed) });
  }

  /** A duration that is not a finite number is not observed (the run is still counted); a negative one counts as 0. */
  simulateFinished(seconds: number, ok: boolean): void {
    if (Number.isFinite(seconds)) this.simulateSeconds.observe(Math.max(0, seconds));
    this.simulates.inc({ result: ok ? 'ok' : 'fail' });
  }

  verifyFinished(passed: boolean): void {
    this.verifies.inc({ result: passed ? 'pass' : 'fail' });
  }

  promoteFinished(ok: boolean): void {
    this.promotes.inc({ result: ok ? 'success' : 'failure' });
  }

  healthProbe(ok: boolean): void {
    this.healthProbes.inc({ result: ok ? 'ok' : 'fail' });
  }

  toolError(tier: CapabilityTier): void {
    this.toolErrors.inc({ tier });
  }
}
