/**
 * An LLM request planner: asks a language model for a plan of a request in plain words. It
 * returns the model's answer as parsed JSON, unvalidated: the plan service validates it against
 * the Plan schema and the request policy, and falls back to the rule planner when it is invalid
 * or the call fails (throws).
 */
import type { PlannerDefaults } from '../planner/plan.js';

export interface LlmPlanInput {
  readonly request: string;
  /** Project given with the request, or null. */
  readonly project: string | null;
  readonly defaults: PlannerDefaults;
  readonly defaultAgent: string;
  readonly allowedAgents: readonly string[];
}

export interface LlmPlanner {
  /** The model it asks (for explanations and logs; never a key). */
  readonly model: string;
  /** The model's plan as parsed JSON. Throws when the call fails or the answer is not JSON. */
  plan(input: LlmPlanInput): Promise<unknown>;
}
