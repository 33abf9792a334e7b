import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { TaskDiffResponse } from '../../contract/diff-schemas.js';
import type { Hq } from '../../services/hq/hq.js';
import { latestTaskDiff } from '../../services/hq/task-diff.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { AUTH_ERRORS, BEARER_SECURITY, IdParam, jsonContent, NOT_FOUND_ERROR } from './openapi-helpers.js';

/** `GET /tasks/{id}/diff`: the workspace diff of the task's last finished iteration. */
export function registerDiffRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/tasks/{id}/diff',
      tags: ['tasks'],
      summary: "The workspace diff of the task's last finished iteration (files and a unified patch, bounded)",
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'tasks:read')],
      request: { params: IdParam },
      responses: {
        200: jsonContent(TaskDiffResponse, 'The diff; iteration null, no files and an empty patch when no iteration has finished with one'),
        ...AUTH_ERRORS,
        ...NOT_FOUND_ERROR,
      },
    }),
    async (c) => {
      const d = await latestTaskDiff(hq.deps, c.req.valid('param').id);
      return c.json({ iteration: d.iteration, files: d.files.map((f) => ({ ...f })), patch: d.patch, truncated: d.truncated }, 200);
    },
  );
}
