/**
 * A plan: what the request planner makes of a request in plain words, before it becomes a task.
 * The web dashboard's chat view and `cortical plan` show it with the policy verdict; on submit it
 * becomes a task create request (`planToTaskRequest`). Pure: no I/O.
 */

export const PLAN_TIERS = ['T0', 'T1', 'T2', 'T3'] as const;
export type PlanTier = (typeof PLAN_TIERS)[number];

export const PLANNER_KINDS = ['rules', 'llm'] as const;
export type PlannerKind = (typeof PLANNER_KINDS)[number];

export interface PlanGuardrails {
  readonly maxIterations: number | null;
  readonly budgetUsd: number | null;
  readonly budgetTokens: number | null;
  readonly timeoutMs: number | null;
}

export interface Plan {
  /** The first sentence of the request, at most 80 characters. */
  readonly title: string;
  /** What the agent is asked to do. */
  readonly prompt: string;
  readonly agent: string;
  readonly model: string | null;
  /** Capabilities a node must advertise (the agent is added by the scheduler). */
  readonly requires: readonly string[];
  /** A short human description of the nodes that can run it, e.g. "any node with codex". */
  readonly nodeClass: string;
  readonly guardrails: PlanGuardrails;
  /** Shell check that ends the loop (exit 0 = done), or null. */
  readonly until: string | null;
  /** What Cortical verifies. */
  readonly checks: readonly string[];
  readonly tier: PlanTier;
  readonly project: string;
  /** Repository path the task works on, or null (an empty workspace). */
  readonly repo: string | null;
  /** One line per decision, in words. */
  readonly explanation: readonly string[];
}

/** Defaults for guardrails the request does not name. */
export interface PlannerDefaults {
  readonly maxIterations: number | null;
  readonly budgetUsd: number | null;
  readonly budgetTokens: number | null;
  readonly timeoutMs: number | null;
}

export const DEFAULT_PLANNER_DEFAULTS: PlannerDefaults = { maxIterations: 10, budgetUsd: null, budgetTokens: null, timeoutMs: null };

/** The agent used when neither the request nor the HQ names one. */
export const FALLBACK_AGENT = 'claude';

/** The task create request (wire shape, before validation) a plan submits. */
export interface PlanTaskRequest {
  readonly prompt: string;
  readonly agent: string;
  readonly mode: 'once' | 'loop';
  readonly requires: string[];
  readonly repo: { path: string; baseRef: null } | null;
  readonly until: string | null;
  readonly maxIterations: number | null;
  readonly timeoutMs: number | null;
  readonly budgetTokens: number | null;
  readonly budgetUsd: number | null;
  readonly tier: PlanTier;
  readonly project: string;
  readonly model: string | null;
  readonly labels: Record<string, string>;
}

const TIER_RANK: Readonly<Record<PlanTier, number>> = { T0: 0, T1: 1, T2: 2, T3: 3 };

/** The higher of two tiers. */
export function maxTier(a: PlanTier, b: PlanTier): PlanTier {
  return TIER_RANK[a] >= TIER_RANK[b] ? a : b;
}

/**
 * The task a plan submits: a loop when there is an until-check or more than one iteration
 * allowed (the loop also ends when the agent says it is done), else one iteration.
 */
export function planToTaskRequest(plan: Plan, planner: PlannerKind): PlanTaskRequest {
  const iterations = plan.guardrails.maxIterations;
  const loop = plan.until !== null || iterations === null || iterations > 1;
  return {
    prompt: plan.prompt,
    agent: plan.agent,
    mode: loop ? 'loop' : 'once',
    requires: [...plan.requires],
    repo: plan.repo === null ? null : { path: plan.repo, baseRef: null },
    until: plan.until,
    maxIterations: iterations,
    timeoutMs: plan.guardrails.timeoutMs,
    budgetTokens: plan.guardrails.budgetTokens,
    budgetUsd: plan.guardrails.budgetUsd,
    tier: plan.tier,
    project: plan.project,
    model: plan.model,
    labels: { title: plan.title.slice(0, 255), planner },
  };
}

/** The short description of where a plan runs. */
export function describeNodeClass(agent: string, requires: readonly string[]): string {
  const builtIn = agent === 'shell' || agent === 'script';
  const needs = [...requires, ...(builtIn ? [] : [agent])];
  if (needs.length === 0) return 'any node';
  if (requires.length === 0) return `any node with ${agent}`;
  return `a node with ${joinWords(needs)}`;
}

/** "a", "a and b", "a, b and c". */
export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}

/** A compact view for audit events and logs. */
export function planSummary(plan: Plan): Record<string, unknown> {
  return {
    title: plan.title,
    agent: plan.agent,
    model: plan.model,
    tier: plan.tier,
    project: plan.project,
    requires: [...plan.requires],
    guardrails: { ...plan.guardrails },
    until: plan.until,
  };
}
