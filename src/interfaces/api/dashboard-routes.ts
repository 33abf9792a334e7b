import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { AuditPageSchema, AuditQuery, HourlyUsageQuery, HourlyUsageResponse } from '../../contract/dashboard-schemas.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { AUTH_ERRORS, BEARER_SECURITY, jsonContent } from './openapi-helpers.js';

/** Spend per hour (the dashboard's chart) and the audit log. */
export function registerDashboardRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/usage/hourly',
      tags: ['budgets'],
      summary: 'The fleet\'s spend per hour over the last N hours (oldest first, zeros included)',
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'tasks:read')],
      request: { query: HourlyUsageQuery },
      responses: { 200: jsonContent(HourlyUsageResponse, 'One entry per hour'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const { hours } = c.req.valid('query');
      return c.json({ items: await hq.dashboard.hourly(hours) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/audit',
      tags: ['audit'],
      summary: 'The audit log, newest first: who or what did which action when',
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'events:read')],
      request: { query: AuditQuery },
      responses: { 200: jsonContent(AuditPageSchema, 'A page of audit entries'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await hq.audit.list({ beforeSeq: q.before, limit: q.limit, types: q.type, actor: q.actor, taskId: q.task });
      return c.json({ items: page.items.map((e) => ({ ...e, data: { ...e.data } })), nextBefore: page.nextBefore }, 200);
    },
  );
}
