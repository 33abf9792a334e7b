import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  KillSwitchPutRequest,
  KillSwitchSchema,
  StatusResponse,
} from '../../contract/node-schemas.js';
import { actorOf } from '../../services/hq/auth-service.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { AUTH_ERRORS, BEARER_SECURITY, jsonBody, jsonContent } from './openapi-helpers.js';

/** Status and kill switch. */
export function registerAdminRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/status',
      tags: ['fleet'],
      summary: 'Counts of tasks and nodes, the kill switch',
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'tasks:read')],
      responses: { 200: jsonContent(StatusResponse, 'Status'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const s = await hq.status.status();
      return c.json({ ...s, killSwitch: { ...s.killSwitch }, tasks: { ...s.tasks }, nodes: { ...s.nodes }, today: { ...s.today } }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/killswitch',
      tags: ['fleet'],
      summary: 'The kill switch',
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'killswitch:read')],
      responses: { 200: jsonContent(KillSwitchSchema, 'The kill switch'), ...AUTH_ERRORS },
    }),
    async (c) => c.json({ ...(await hq.killSwitch.get()) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/api/v1/killswitch',
      tags: ['fleet'],
      summary: 'Turn the kill switch on or off',
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'killswitch:write')],
      request: { body: jsonBody(KillSwitchPutRequest) },
      responses: { 200: jsonContent(KillSwitchSchema, 'The kill switch'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const ks = await hq.killSwitch.set({ on: body.on, reason: body.reason, actor: actorOf(c.get('principal')) });
      return c.json({ ...ks }, 200);
    },
  );
}
