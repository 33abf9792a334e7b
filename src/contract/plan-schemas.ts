/**
 * The API contract of the request planner (`POST /api/v1/plans`): the request, the Plan, the
 * verdict and the answer. The same Plan schema validates what an LLM planner returns. Pure.
 */
import { z } from 'zod';
import { PLAN_TIERS, PLANNER_KINDS } from '../core/planner/plan.js';
import { POLICY_CODES } from '../core/planner/request-policy.js';
import { AgentName, ModelName, ProjectName, TaskSchema } from './task-schemas.js';

const capability = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'capability: lowercase letters, digits, . _ - (max 63)');
const positiveInt = z.number().int().positive();

export const PlanGuardrailsSchema = z.object({
  maxIterations: positiveInt.max(1_000_000).nullable(),
  budgetUsd: z.number().positive().nullable(),
  budgetTokens: positiveInt.nullable(),
  timeoutMs: positiveInt.nullable(),
});

export const PlanSchema = z.object({
  title: z.string().min(1).max(80),
  prompt: z.string().min(1).max(200_000),
  agent: AgentName,
  model: ModelName.nullable(),
  requires: z.array(capability).max(64),
  nodeClass: z.string().min(1).max(200),
  guardrails: PlanGuardrailsSchema,
  until: z.string().min(1).max(10_000).nullable(),
  checks: z.array(z.string().min(1).max(500)).max(20),
  tier: z.enum(PLAN_TIERS),
  project: ProjectName,
  /** The repository path the task works on (not in the first draft of the shape; null = none). */
  repo: z.string().min(1).max(4096).nullable(),
  explanation: z.array(z.string().max(1000)).max(60),
});
export type PlanDto = z.infer<typeof PlanSchema>;

/**
 * What an LLM planner may return: the Plan with the bookkeeping fields optional (the service
 * fills nodeClass, repo, checks, requires and explanation when absent).
 */
export const LlmPlanSchema = PlanSchema.extend({
  requires: z.array(capability).max(64).default([]),
  nodeClass: z.string().min(1).max(200).optional(),
  checks: z.array(z.string().min(1).max(500)).max(20).default([]),
  repo: z.string().min(1).max(4096).nullable().default(null),
  explanation: z.array(z.string().max(1000)).max(60).default([]),
});

export const PlanVerdictSchema = z.object({
  allowed: z.boolean(),
  code: z.enum(POLICY_CODES).nullable(),
  reason: z.string().nullable(),
});

export const PlanRequest = z.strictObject({
  request: z.string().min(1, 'request must not be empty').max(4000, 'request: at most 4000 characters'),
  /** Create the task when the plan is allowed (needs tasks:write). Default: preview only. */
  submit: z.boolean().default(false),
  /** Project the task counts against; wins over a project named in the text. */
  project: ProjectName.optional(),
});
export type PlanRequest = z.input<typeof PlanRequest>;

export const PlanResponse = z.object({
  planner: z.enum(PLANNER_KINDS),
  plan: PlanSchema,
  verdict: PlanVerdictSchema,
  /** The created task (submit of an allowed plan), else null. */
  task: TaskSchema.nullable(),
});
export type PlanResponseDto = z.infer<typeof PlanResponse>;
