import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  HeartbeatRequest,
  HeartbeatResponse,
  NodeCredentialSchema,
  NodeJoinRequest,
  NodeListQuery,
  NodeRefreshRequest,
  NodeSchema,
} from '../../contract/node-schemas.js';
import { pageSchema } from '../../contract/task-schemas.js';
import { actorOf } from '../../services/hq/auth-service.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { toNodeCommandDto, toNodeDto, toTaskDto } from './dto.js';
import {
  AUTH_ERRORS,
  BAD_REQUEST_ERROR,
  BEARER_SECURITY,
  IdParam,
  jsonBody,
  jsonContent,
  NOT_FOUND_ERROR,
  UNAUTHORIZED_ERROR,
} from './openapi-helpers.js';

const NODES = '/api/v1/nodes';
const NODE = `${NODES}/{id}`;

export function registerNodeRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  const read = requireAuth(hq, 'nodes:read');
  const write = requireAuth(hq, 'nodes:write');
  const nodeAct = requireAuth(hq, 'lease:act');

  app.openapi(
    createRoute({
      method: 'get',
      path: NODES,
      tags: ['nodes'],
      summary: 'List nodes',
      security: BEARER_SECURITY,
      middleware: [read],
      request: { query: NodeListQuery },
      responses: { 200: jsonContent(pageSchema(NodeSchema), 'A page of nodes'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const states = q.state === undefined || q.state === '' ? undefined : q.state.split(',');
      const page = await hq.nodes.list({ states, cursor: q.cursor, limit: q.limit });
      return c.json({ items: page.items.map(toNodeDto), nextCursor: page.nextCursor }, 200);
    },
  );

  // Registered before `/nodes/{id}` so that `join` is not taken for an id.
  app.openapi(
    createRoute({
      method: 'post',
      path: `${NODES}/join`,
      tags: ['nodes'],
      summary: 'Join the fleet with a join token (no Authorization header)',
      request: { body: jsonBody(NodeJoinRequest) },
      responses: {
        201: jsonContent(NodeCredentialSchema, 'The new node and its credentials'),
        ...BAD_REQUEST_ERROR,
        ...UNAUTHORIZED_ERROR,
      },
    }),
    async (c) => c.json(await hq.nodes.join(c.req.valid('json')), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: NODE,
      tags: ['nodes'],
      summary: 'Get a node',
      security: BEARER_SECURITY,
      middleware: [read],
      request: { params: IdParam },
      responses: { 200: jsonContent(NodeSchema, 'The node'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
    }),
    async (c) => c.json(toNodeDto(await hq.nodes.get(c.req.valid('param').id)), 200),
  );

  for (const action of ['cordon', 'drain', 'uncordon'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `${NODE}/${action}`,
        tags: ['nodes'],
        summary:
          action === 'cordon'
            ? 'Stop placing new work on a node'
            : action === 'drain'
              ? 'Stop placing new work; the node finishes what it runs'
              : 'Make a node schedulable again',
        security: BEARER_SECURITY,
        middleware: [write],
        request: { params: IdParam },
        responses: { 200: jsonContent(NodeSchema, 'The node'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
      }),
      async (c) => {
        const id = c.req.valid('param').id;
        const actor = actorOf(c.get('principal'));
        const node =
          action === 'cordon'
            ? await hq.nodes.cordon(id, actor)
            : action === 'drain'
              ? await hq.nodes.drain(id, actor)
              : await hq.nodes.uncordon(id, actor);
        return c.json(toNodeDto(node), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: `${NODE}/credential`,
      tags: ['nodes'],
      summary: 'Trade a refresh token for new credentials (the refresh token rotates)',
      request: { params: IdParam, body: jsonBody(NodeRefreshRequest) },
      responses: { 200: jsonContent(NodeCredentialSchema, 'New credentials'), ...BAD_REQUEST_ERROR, ...UNAUTHORIZED_ERROR },
    }),
    async (c) => {
      const creds = await hq.nodes.refresh({ nodeId: c.req.valid('param').id, refreshToken: c.req.valid('json').refreshToken });
      return c.json(creds, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${NODE}/heartbeat`,
      tags: ['nodes'],
      summary: 'Node heartbeat: report resources, learn leases, the kill switch and the lockdown',
      security: BEARER_SECURITY,
      middleware: [nodeAct],
      request: { params: IdParam, body: jsonBody(HeartbeatRequest) },
      responses: { 200: jsonContent(HeartbeatResponse, 'Node, kill switch, lockdown, leases'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
    }),
    async (c) => {
      const r = await hq.nodes.heartbeat(c.get('principal'), c.req.valid('param').id, c.req.valid('json'));
      const commands = r.commands.map(toNodeCommandDto);
      return c.json({ node: toNodeDto(r.node), killSwitch: r.killSwitch, lockdown: r.lockdown, leases: r.leases.map(toTaskDto), commands }, 200);
    },
  );
}
