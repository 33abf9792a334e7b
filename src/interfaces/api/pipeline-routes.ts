import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { PipelineListQuery, PipelineRunIdParam, PipelineRunSchema } from '../../contract/pipeline-schemas.js';
import { pageSchema } from '../../contract/task-schemas.js';
import { CorticalError } from '../../core/errors.js';
import type { PipelineRun } from '../../core/pipeline/pipeline-run.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { AUTH_ERRORS, BEARER_SECURITY, jsonContent, NOT_FOUND_ERROR } from './openapi-helpers.js';

const RUNS = '/api/v1/pipeline/runs';

/** A stored run as the API shows it. */
export function pipelineRunDto(r: PipelineRun) {
  return { id: r.id, state: r.state, intent: r.intent, project: r.project, spec: { ...r.spec }, snapshotId: r.snapshotId, evidence: { ...r.evidence }, error: r.error, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

/** `GET /api/v1/pipeline/runs` (newest first, paged) and `GET /api/v1/pipeline/runs/{id}`. */
export function registerPipelineRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  const read = requireAuth(hq, 'tasks:read');

  app.openapi(
    createRoute({
      method: 'get',
      path: RUNS,
      tags: ['safety'],
      summary: 'List safety pipeline runs, newest first',
      security: BEARER_SECURITY,
      middleware: [read],
      request: { query: PipelineListQuery },
      responses: { 200: jsonContent(pageSchema(PipelineRunSchema), 'A page of pipeline runs'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await hq.deps.store.listPipelineRuns({ cursor: q.cursor, limit: q.limit });
      return c.json({ items: page.items.map(pipelineRunDto), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${RUNS}/{id}`,
      tags: ['safety'],
      summary: 'One pipeline run with its evidence',
      security: BEARER_SECURITY,
      middleware: [read],
      request: { params: PipelineRunIdParam },
      responses: { 200: jsonContent(PipelineRunSchema, 'The run'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const run = await hq.deps.store.getPipelineRun(id);
      if (run === null) throw new CorticalError('NOT_FOUND', `pipeline run ${id} not found`, { runId: id });
      return c.json(pipelineRunDto(run), 200);
    },
  );
}
