import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { PipelineRunSchema } from '../../contract/pipeline-schemas.js';
import type { Hq } from '../../services/hq/hq.js';
import { latestTaskPipelineRun } from '../../services/hq/task-pipeline.js';
import type { ApiEnv } from './api-env.js';
import { pipelineRunDto } from './pipeline-routes.js';
import { requireAuth } from './auth-middleware.js';
import { AUTH_ERRORS, BEARER_SECURITY, IdParam, jsonContent, NOT_FOUND_ERROR } from './openapi-helpers.js';

export const TaskPipelineResponse = z.object({
  taskId: z.string(),
  /** The task's pipeline as submitted; null when the task has none. */
  pipeline: z
    .object({ targetBranch: z.string(), checks: z.array(z.object({ name: z.string(), command: z.string(), timeoutMs: z.number().int().optional() })) })
    .nullable(),
  /** The latest pipeline run of the task; null until one started (runs start when the task succeeds). */
  run: PipelineRunSchema.nullable(),
});

/** `GET /tasks/{id}/pipeline`: the task's pipeline and its latest run. */
export function registerTaskPipelineRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/tasks/{id}/pipeline',
      tags: ['tasks'],
      summary: "The task's pipeline (target branch, checks) and its latest safety pipeline run",
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'tasks:read')],
      request: { params: IdParam },
      responses: {
        200: jsonContent(TaskPipelineResponse, 'The pipeline and the latest run; run null when none has started'),
        ...AUTH_ERRORS,
        ...NOT_FOUND_ERROR,
      },
    }),
    async (c) => {
      const task = await hq.tasks.get(c.req.valid('param').id);
      const spec = task.spec.pipeline;
      const run = await latestTaskPipelineRun(hq.deps, task.id);
      return c.json(
        {
          taskId: task.id,
          pipeline:
            spec === undefined
              ? null
              : { targetBranch: spec.targetBranch, checks: spec.checks.map((k) => ({ name: k.name, command: k.command, ...(k.timeoutMs === undefined ? {} : { timeoutMs: k.timeoutMs }) })) },
          run: run === null ? null : pipelineRunDto(run),
        },
        200,
      );
    },
  );
}
