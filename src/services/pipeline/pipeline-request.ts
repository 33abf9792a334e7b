import { z } from 'zod';
import { CorticalError } from '../../core/errors.js';
import type { Plan } from '../../core/plan-steps.js';
import { PlanSchema } from '../../contract/step-plan-schemas.js';
import type { BlueTargetSpec } from './blue-target.js';

/** What VERIFY runs in Green (mirrors the verifier's VerifySpec). */
export const VerifySpecSchema = z
  .object({
    checks: z
      .array(z.object({ name: z.string().min(1).max(100), command: z.string().min(1).max(10_000), timeoutMs: z.number().int().positive().max(3_600_000).optional() }).strict())
      .max(50),
    service: z
      .object({
        command: z.string().min(1).max(10_000),
        healthPath: z.string().startsWith('/').max(1000).optional(),
        portEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name in upper case').optional(),
        healthGreenSec: z.number().min(0).max(3600),
        startTimeoutMs: z.number().int().positive().max(600_000).optional(),
      })
      .strict()
      .optional(),
    policyWords: z.array(z.string().min(1).max(200)).max(100).default([]),
  })
  .strict();
export type PipelineVerifySpec = z.infer<typeof VerifySpecSchema>;

export const BlueTargetSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('git-branch'), repo: z.string().min(1), branch: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('release-dir'), root: z.string().min(1) }).strict(),
]);

export const PipelineRequestSchema = z
  .object({
    intent: z.string().max(10_000).optional(),
    plan: PlanSchema,
    target: BlueTargetSpecSchema,
    verify: VerifySpecSchema,
    project: z.string().min(1).max(200).nullable().optional(),
    tripcodePresented: z.boolean().optional(),
    taskId: z.string().min(1).max(200).optional(),
    expectedGolden: z.string().min(1).max(200).optional(),
  })
  .strict();

export interface PipelineRequest {
  readonly intent?: string | undefined;
  readonly plan: Plan;
  readonly target: BlueTargetSpec;
  readonly verify: PipelineVerifySpec;
  readonly project?: string | null | undefined;
  /** The caller verified a tripcode for this request (needed at and above the policy's tripcode tier). */
  readonly tripcodePresented?: boolean | undefined;
  /** The agent task whose change this run promotes: stored in the run's spec and set on every event the run appends. */
  readonly taskId?: string | undefined;
  /** Blue's version the plan was made against: when Blue is elsewhere at PLAN, the run aborts there. */
  readonly expectedGolden?: string | undefined;
}

/** Validates a request at the boundary; CorticalError VALIDATION_FAILED names every problem. */
export function parsePipelineRequest(input: unknown): PipelineRequest {
  const r = PipelineRequestSchema.safeParse(input);
  if (!r.success) {
    const what = r.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
    throw new CorticalError(
      'VALIDATION_FAILED',
      `invalid pipeline request (${what}); accepted: { intent?, plan: { intent, steps: [{ tool, args }] }, target: { kind: 'git-branch', repo, branch } | { kind: 'release-dir', root }, verify: { checks: [{ name, command, timeoutMs? }], service?, policyWords }, project?, tripcodePresented?, taskId?, expectedGolden? }`,
      { issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    );
  }
  return r.data;
}
