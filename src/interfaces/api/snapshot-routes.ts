import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { NodeCommandResultRequest, NodeCommandSchema, SnapshotId, TaskSnapshotRequest } from '../../contract/node-command-schemas.js';
import { ErrorResponse } from '../../contract/node-schemas.js';
import { pageSchema } from '../../contract/task-schemas.js';
import { actorOf } from '../../services/hq/auth-service.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { toNodeCommandDto } from './dto.js';
import { AUTH_ERRORS, BEARER_SECURITY, IdParam, jsonBody, jsonContent, NOT_FOUND_ERROR } from './openapi-helpers.js';

const TASK = '/api/v1/tasks/{id}';
const errorContent = (description: string) => ({ content: { 'application/json': { schema: ErrorResponse } }, description });
const NO_WORKSPACE = { 409: errorContent('The task has not run on a node yet, or (revert) an iteration may be writing to the workspace') };
const CommandPageQuery = z.strictObject({ cursor: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).optional() });
const RevertParams = z.object({ id: IdParam.shape.id, snapshotId: SnapshotId });
const ResultParams = z.object({ id: IdParam.shape.id, commandId: z.string().min(1).max(200) });

/**
 * Snapshots and reverts of a task's workspace (`/tasks/{id}/snapshots…`), polling a command
 * (`/commands/{id}`), and the node's report of a command's result.
 */
export function registerSnapshotRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  const read = requireAuth(hq, 'tasks:read');
  const write = requireAuth(hq, 'tasks:write');
  const nodeAct = requireAuth(hq, 'lease:act');
  const cmds = hq.workspaceCommands;

  app.openapi(
    createRoute({
      method: 'post',
      path: `${TASK}/snapshots`,
      tags: ['snapshots'],
      summary: "Snapshot the task's workspace on its node (poll the command for the result)",
      security: BEARER_SECURITY,
      middleware: [write],
      request: { params: IdParam, body: { content: { 'application/json': { schema: TaskSnapshotRequest } }, required: false } },
      responses: { 202: jsonContent(NodeCommandSchema, 'The queued command'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR, ...NO_WORKSPACE },
    }),
    async (c) => {
      // Without a body the validator is skipped, so `label` may be absent.
      const body = c.req.valid('json') as { label?: string } | undefined;
      const cmd = await cmds.snapshot(c.req.valid('param').id, body?.label, actorOf(c.get('principal')));
      return c.json(toNodeCommandDto(cmd), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${TASK}/snapshots`,
      tags: ['snapshots'],
      summary: "List the workspace's snapshots: asks the node; the command's result holds them",
      security: BEARER_SECURITY,
      middleware: [read],
      request: { params: IdParam },
      responses: { 202: jsonContent(NodeCommandSchema, 'The list command (a pending one is reused)'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR, ...NO_WORKSPACE },
    }),
    async (c) => c.json(toNodeCommandDto(await cmds.listSnapshots(c.req.valid('param').id, actorOf(c.get('principal')))), 202),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${TASK}/snapshots/{snapshotId}/revert`,
      tags: ['snapshots'],
      summary: 'Revert the workspace to a snapshot (the task must be paused between iterations or not held by a node)',
      security: BEARER_SECURITY,
      middleware: [write],
      request: { params: RevertParams },
      responses: { 202: jsonContent(NodeCommandSchema, 'The queued command'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR, ...NO_WORKSPACE },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(toNodeCommandDto(await cmds.revert(p.id, p.snapshotId, actorOf(c.get('principal')))), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${TASK}/commands`,
      tags: ['snapshots'],
      summary: "A task's workspace commands, newest first",
      security: BEARER_SECURITY,
      middleware: [read],
      request: { params: IdParam, query: CommandPageQuery },
      responses: { 200: jsonContent(pageSchema(NodeCommandSchema), 'A page of commands'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      await hq.tasks.get(id);
      const q = c.req.valid('query');
      const page = await cmds.list(id, { cursor: q.cursor, limit: q.limit });
      return c.json({ items: page.items.map(toNodeCommandDto), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/commands/{id}',
      tags: ['snapshots'],
      summary: "A workspace command: state (queued, sent, done, failed), the node's result or error",
      security: BEARER_SECURITY,
      middleware: [read],
      request: { params: IdParam },
      responses: { 200: jsonContent(NodeCommandSchema, 'The command'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
    }),
    async (c) => c.json(toNodeCommandDto(await cmds.get(c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/nodes/{id}/commands/{commandId}/result',
      tags: ['nodes'],
      summary: "A node reports one of its commands' result",
      security: BEARER_SECURITY,
      middleware: [nodeAct],
      request: { params: ResultParams, body: jsonBody(NodeCommandResultRequest) },
      responses: { 200: jsonContent(NodeCommandSchema, 'The finished command'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const cmd = await cmds.reportResult(c.get('principal'), p.id, p.commandId, c.req.valid('json'));
      return c.json(toNodeCommandDto(cmd), 200);
    },
  );
}
