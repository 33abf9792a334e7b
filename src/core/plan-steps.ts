/**
 * A plan as the Bridge API's `orchestrator.proto` has it: an intent and a list of steps, each a
 * tool name with string arguments (validated by `src/contract/plan-schemas.ts`). Plans are what the safety pipeline checks against policy,
 * debates, simulates in Green, verifies and promotes.
 */
export const CAPABILITY_TIERS = ['T0', 'T1', 'T2', 'T3'] as const;
export type CapabilityTier = (typeof CAPABILITY_TIERS)[number];

const TIER_RANK: Readonly<Record<CapabilityTier, number>> = { T0: 0, T1: 1, T2: 2, T3: 3 };

export function tierRank(t: CapabilityTier): number {
  return TIER_RANK[t];
}

/** Whether tier `a` is at least `b`. */
export function tierAtLeast(a: CapabilityTier, b: CapabilityTier): boolean {
  return TIER_RANK[a] >= TIER_RANK[b];
}

export const MAX_PLAN_STEPS_HARD = 1000;
export const MAX_ARG_BYTES = 1_000_000;

export interface PlanStep {
  readonly tool: string;
  readonly args: Readonly<Record<string, string>>;
}

export interface Plan {
  readonly intent: string;
  readonly steps: readonly PlanStep[];
}

/** A tool name: lower case letters, digits, `_`, `.` and `-`, starting with a letter. */
export const TOOL_NAME_PATTERN = /^[a-z][a-z0-9_.-]*$/;
