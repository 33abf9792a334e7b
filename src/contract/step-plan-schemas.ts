import { z } from 'zod';
import { MAX_ARG_BYTES, MAX_PLAN_STEPS_HARD, TOOL_NAME_PATTERN, type Plan } from '../core/plan-steps.js';

/** A plan step as it arrives (REST, Bridge, files): a tool name and string arguments. */
export const PlanStepSchema = z.object({
  tool: z
    .string()
    .min(1, 'a step needs a tool name')
    .max(100)
    .regex(TOOL_NAME_PATTERN, 'a tool name is lower case letters, digits, _ . and -, starting with a letter'),
  args: z.record(z.string().max(200), z.string().max(MAX_ARG_BYTES)).default({}),
});

export const PlanSchema = z.object({
  intent: z.string().max(10_000).default(''),
  steps: z.array(PlanStepSchema).min(1, 'a plan needs at least one step').max(MAX_PLAN_STEPS_HARD),
}) satisfies z.ZodType<Plan, unknown>;
