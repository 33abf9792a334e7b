import { z } from '@hono/zod-openapi';
import { PIPELINE_STATES } from '../core/pipeline/pipeline-run.js';

export const PipelineRunSchema = z
  .object({
    id: z.string(),
    state: z.enum(PIPELINE_STATES),
    intent: z.string(),
    project: z.string().nullable(),
    spec: z.record(z.string(), z.unknown()).describe('what the run was asked: plan, target, verify'),
    snapshotId: z.string().nullable().describe("Green's snapshot taken before SIMULATE"),
    evidence: z.record(z.string(), z.unknown()).describe('plan check, debate log, steps, diff, verify results and artifact digests, promoted version'),
    error: z.string().nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('PipelineRun');
export type PipelineRunDto = z.infer<typeof PipelineRunSchema>;

export const PipelineListQuery = z.strictObject({
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const PipelineRunIdParam = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' } }) });
