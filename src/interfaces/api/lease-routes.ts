import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  LeaseCredentialRequest,
  TaskCredentialSchema,
  LeaseCompleteRequest,
  LeaseProgressRequest,
  LeaseRenewRequest,
  LeaseRenewResponse,
  LeaseStartRequest,
} from '../../contract/node-schemas.js';
import { TaskSchema } from '../../contract/task-schemas.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { toGuidanceDto, toTaskDto } from './dto.js';
import {
  AUTH_ERRORS,
  BEARER_SECURITY,
  CONFLICT_ERROR,
  jsonBody,
  jsonContent,
  NOT_FOUND_ERROR,
  TaskIdParam,
} from './openapi-helpers.js';

const LEASE = '/api/v1/leases/{taskId}';
const ERRORS = { ...AUTH_ERRORS, ...NOT_FOUND_ERROR, ...CONFLICT_ERROR };

/** Node-only routes: a node acts on its own leases, identified by its credential. */
export function registerLeaseRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  const nodeAct = requireAuth(hq, 'lease:act');

  app.openapi(
    createRoute({
      method: 'post',
      path: `${LEASE}/start`,
      tags: ['leases'],
      summary: 'Start the leased attempt',
      security: BEARER_SECURITY,
      middleware: [nodeAct],
      request: { params: TaskIdParam, body: jsonBody(LeaseStartRequest) },
      responses: { 200: jsonContent(TaskSchema, 'The running task'), ...ERRORS },
    }),
    async (c) => {
      const task = await hq.leases.start(c.get('principal'), c.req.valid('param').taskId, c.req.valid('json'));
      return c.json(toTaskDto(task), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${LEASE}/renew`,
      tags: ['leases'],
      summary: 'Extend the lease; learn the desired state, guidance and the kill switch',
      security: BEARER_SECURITY,
      middleware: [nodeAct],
      request: { params: TaskIdParam, body: jsonBody(LeaseRenewRequest) },
      responses: { 200: jsonContent(LeaseRenewResponse, 'The renewal'), ...ERRORS },
    }),
    async (c) => {
      const r = await hq.leases.renew(c.get('principal'), c.req.valid('param').taskId, c.req.valid('json'));
      return c.json(
        {
          task: toTaskDto(r.task),
          leaseExpiresAt: r.leaseExpiresAt,
          desired: r.desired,
          pendingGuidance: r.pendingGuidance.map(toGuidanceDto),
          killSwitch: r.killSwitch,
          credential: r.credential,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${LEASE}/credential`,
      tags: ['leases'],
      summary: 'A lease-scoped credential for the task\'s sleeves (at most 15 minutes)',
      security: BEARER_SECURITY,
      middleware: [nodeAct],
      request: { params: TaskIdParam, body: jsonBody(LeaseCredentialRequest) },
      responses: { 200: jsonContent(TaskCredentialSchema, 'The credential'), ...ERRORS },
    }),
    async (c) => {
      const cred = await hq.leases.credential(c.get('principal'), c.req.valid('param').taskId, c.req.valid('json'));
      return c.json(cred, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${LEASE}/progress`,
      tags: ['leases'],
      summary: 'Report iterations, logs, usage and the observed state',
      security: BEARER_SECURITY,
      middleware: [nodeAct],
      request: { params: TaskIdParam, body: jsonBody(LeaseProgressRequest) },
      responses: { 200: jsonContent(TaskSchema, 'The task'), ...ERRORS },
    }),
    async (c) => {
      const task = await hq.leases.progress(c.get('principal'), c.req.valid('param').taskId, c.req.valid('json'));
      return c.json(toTaskDto(task), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${LEASE}/complete`,
      tags: ['leases'],
      summary: 'End the attempt: final outcome or requeue',
      security: BEARER_SECURITY,
      middleware: [nodeAct],
      request: { params: TaskIdParam, body: jsonBody(LeaseCompleteRequest) },
      responses: { 200: jsonContent(TaskSchema, 'The task'), ...ERRORS },
    }),
    async (c) => {
      const task = await hq.leases.complete(c.get('principal'), c.req.valid('param').taskId, c.req.valid('json'));
      return c.json(toTaskDto(task), 200);
    },
  );
}
