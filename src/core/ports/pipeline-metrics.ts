import type { CapabilityTier } from '../plan-steps.js';

/**
 * Where the safety pipeline reports what the origin document's metrics count: plan typeability,
 * debate agreement, simulate latency, verify pass rate, promote success, health probes and tool
 * errors by tier. The Prometheus registry implements it; tests may count calls.
 */
export interface PipelineMetricsSink {
  /** A plan was parsed and checked: typeable = it parsed and every step has a known tool with valid arguments. */
  planChecked(typeable: boolean): void;
  /** A debate ended; agreed = the reviewers agreed (no judge tie-break needed). */
  debateFinished(agreed: boolean, decision: 'ACCEPT' | 'REJECT' | 'ERROR'): void;
  simulateFinished(seconds: number, ok: boolean): void;
  verifyFinished(passed: boolean): void;
  promoteFinished(ok: boolean): void;
  /** One health probe of a service under verification. */
  healthProbe(ok: boolean): void;
  /** A tool call (plan step) failed, counted by its tier. */
  toolError(tier: CapabilityTier): void;
}

export const NO_PIPELINE_METRICS: PipelineMetricsSink = {
  planChecked: () => undefined,
  debateFinished: () => undefined,
  simulateFinished: () => undefined,
  verifyFinished: () => undefined,
  promoteFinished: () => undefined,
  healthProbe: () => undefined,
  toolError: () => undefined,
};
