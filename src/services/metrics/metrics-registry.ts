import { Registry } from 'prom-client';
import type { HqDeps } from '../hq/hq-deps.js';
import { FleetMetrics, type FleetMetricsOptions } from './fleet-metrics.js';
import { PrometheusPipelineMetrics } from './pipeline-metrics.js';

/** The content type of the Prometheus text exposition format (0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Everything `GET /metrics` serves, on one registry of its own. */
export interface HqMetrics {
  readonly registry: Registry;
  /** Where the safety pipeline reports (a `PipelineMetricsSink`). */
  readonly pipeline: PrometheusPipelineMetrics;
  readonly fleet: FleetMetrics;
}

/**
 * A new registry (never prom-client's global one, so several HQs in one process do not clash)
 * with the pipeline's metrics, the fleet gauges read from HQ's store, and HQ's process metrics.
 */
export function createHqMetrics(deps: Pick<HqDeps, 'store' | 'clock' | 'logger'>, options: FleetMetricsOptions = {}): HqMetrics {
  const registry = new Registry();
  const pipeline = new PrometheusPipelineMetrics(registry);
  const fleet = new FleetMetrics(registry, { store: deps.store, clock: deps.clock, logger: deps.logger.child({ component: 'metrics' }) }, options);
  return { registry, pipeline, fleet };
}
