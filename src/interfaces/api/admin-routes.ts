import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  KillSwitchPutRequest,
  KillSwitchSchema,
  StatusResponse,
  TokenCreateRequest,
  TokenCreateResponse,
} from '../../contract/node-schemas.js';
import { actorOf } from '../../services/hq/auth-service.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { AUTH_ERRORS, BEARER_SECURITY, jsonBody, jsonContent } from './openapi-helpers.js';

/** Status, kill switch and tokens. */
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

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/tokens',
      tags: ['tokens'],
      summary: 'Create an API token (admin, operator, viewer) or a join token (node)',
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'tokens:write')],
      request: { body: jsonBody(TokenCreateRequest) },
      responses: { 201: jsonContent(TokenCreateResponse, 'The token, shown once'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const created = await hq.auth.createToken({
        role: body.role,
        ttlMs: body.ttlMs,
        label: body.label,
        singleUse: body.singleUse,
        actor: actorOf(c.get('principal')),
      });
      return c.json({ ...created }, 201);
    },
  );
}
