/** The request planner's settings in the HQ config: defaults for plans and the policy's limits. */
import { DEFAULT_PLANNER_DEFAULTS, type PlannerDefaults } from '../../core/planner/plan.js';
import type { RequestPolicy } from '../../core/planner/request-policy.js';

export interface PlannerConfig extends RequestPolicy {
  /** The agent of plans whose request names none; null → claude. */
  readonly defaultAgent: string | null;
  /** Guardrails of plans whose request names none (an unlimited one is capped by the maxima). */
  readonly defaults: PlannerDefaults;
  /** How long the LLM planner may take before the rule planner is used instead. */
  readonly llmTimeoutMs: number;
}

export const DEFAULT_PLANNER_CONFIG: PlannerConfig = {
  defaultAgent: null,
  defaults: DEFAULT_PLANNER_DEFAULTS,
  allowedAgents: ['claude', 'codex', 'gemini', 'opencode', 'aider', 'builtin'],
  maxIterations: 100,
  maxBudgetUsd: 20,
  maxBudgetTokens: 5_000_000,
  maxTimeoutMs: 24 * 60 * 60 * 1000,
  llmTimeoutMs: 30_000,
};

/** Fills a partial planner config with the defaults and rejects nonsensical values. */
export function resolvePlannerConfig(partial: Partial<PlannerConfig> | undefined): PlannerConfig {
  const c: PlannerConfig = { ...DEFAULT_PLANNER_CONFIG, ...partial, defaults: { ...DEFAULT_PLANNER_DEFAULTS, ...partial?.defaults } };
  for (const key of ['maxIterations', 'maxBudgetUsd', 'maxBudgetTokens', 'maxTimeoutMs'] as const) {
    const v = c[key];
    if (v !== null && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new RangeError(`HQ config planner.${key} must be a positive number or null, got ${String(v)}`);
    }
  }
  if (!(c.llmTimeoutMs > 0)) throw new RangeError(`HQ config planner.llmTimeoutMs must be positive, got ${c.llmTimeoutMs}`);
  return c;
}
