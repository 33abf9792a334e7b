import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { BudgetPutRequest, PageQuery, ProjectBudgetSchema, ProjectPage, UsagePage, UsageQuery } from '../../contract/budget-schemas.js';
import { ProjectName } from '../../contract/task-schemas.js';
import { actorOf } from '../../services/hq/auth-service.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { AUTH_ERRORS, BEARER_SECURITY, jsonBody, jsonContent } from './openapi-helpers.js';

const ProjectParam = z.object({ project: ProjectName });

/** Daily budgets of projects and of the fleet, and usage roll-ups. */
export function registerBudgetRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  const read = requireAuth(hq, 'tasks:read');
  const write = requireAuth(hq, 'killswitch:write');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/projects',
      tags: ['budgets'],
      summary: "Projects that have tasks, a daily budget or spend today: each with its budget and today's spend",
      security: BEARER_SECURITY,
      middleware: [read],
      request: { query: PageQuery },
      responses: { 200: jsonContent(ProjectPage, 'Projects'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const r = await hq.budgets.projects(q);
      return c.json({ items: r.items.map((p) => ({ ...p, today: { ...p.today } })), total: r.total, nextOffset: q.offset + q.limit < r.total ? q.offset + q.limit : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/api/v1/projects/{project}/budget',
      tags: ['budgets'],
      summary: "Set (or, with both null, clear) a project's daily budget; tasks over it stay queued (budget_exhausted)",
      security: BEARER_SECURITY,
      middleware: [write],
      request: { params: ProjectParam, body: jsonBody(BudgetPutRequest) },
      responses: { 200: jsonContent(ProjectBudgetSchema, 'The budget'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const b = await hq.budgets.setProject(c.req.valid('param').project, c.req.valid('json'), actorOf(c.get('principal')));
      return c.json({ ...b, today: { ...b.today } }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/fleet/budget',
      tags: ['budgets'],
      summary: "The fleet's daily budget and today's spend over all projects",
      security: BEARER_SECURITY,
      middleware: [read],
      responses: { 200: jsonContent(ProjectBudgetSchema, 'The budget'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const b = await hq.budgets.fleet();
      return c.json({ ...b, today: { ...b.today } }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/api/v1/fleet/budget',
      tags: ['budgets'],
      summary: "Set (or clear) the fleet's daily budget over all projects",
      security: BEARER_SECURITY,
      middleware: [write],
      request: { body: jsonBody(BudgetPutRequest) },
      responses: { 200: jsonContent(ProjectBudgetSchema, 'The budget'), ...AUTH_ERRORS },
    }),
    async (c) => {
      await hq.budgets.setFleet(c.req.valid('json'), actorOf(c.get('principal')));
      const b = await hq.budgets.fleet();
      return c.json({ ...b, today: { ...b.today } }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/usage',
      tags: ['budgets'],
      summary: 'Tokens and dollars of the last N UTC days, by project, node or day',
      security: BEARER_SECURITY,
      middleware: [read],
      request: { query: UsageQuery },
      responses: { 200: jsonContent(UsagePage, 'Usage'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await hq.budgets.usage({ ...q, limit: q.limit + 1 });
      return c.json({ items: rows.slice(0, q.limit).map((r) => ({ ...r })), nextOffset: rows.length > q.limit ? q.offset + q.limit : null }, 200);
    },
  );
}
