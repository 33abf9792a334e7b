import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import {
  afterPageSchema,
  AfterQuery,
  EventSchema,
  GuidanceSchema,
  LogLineSchema,
  pageSchema,
  TaskCreateRequest,
  TaskGuideRequest,
  TaskResleeveRequest,
  TaskListQuery,
  TaskPauseRequest,
  TaskSchema,
} from '../../contract/task-schemas.js';
import { actorOf } from '../../services/hq/auth-service.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { toEventDto, toGuidanceDto, toLogLineDto, toTaskDto } from './dto.js';
import {
  AUTH_ERRORS,
  BEARER_SECURITY,
  CONFLICT_ERROR,
  IdParam,
  ItemsOf,
  jsonBody,
  jsonContent,
  NOT_FOUND_ERROR,
} from './openapi-helpers.js';

const TASKS = '/api/v1/tasks';
const TASK = `${TASKS}/{id}`;

export function registerTaskRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  const read = requireAuth(hq, 'tasks:read');
  const write = requireAuth(hq, 'tasks:write');

  app.openapi(
    createRoute({
      method: 'post',
      path: TASKS,
      tags: ['tasks'],
      summary: 'Submit a task',
      security: BEARER_SECURITY,
      middleware: [write],
      request: { body: jsonBody(TaskCreateRequest) },
      responses: { 201: jsonContent(TaskSchema, 'The queued task'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const task = await hq.submitTask(c.req.valid('json'), actorOf(c.get('principal')));
      return c.json(toTaskDto(task), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: TASKS,
      tags: ['tasks'],
      summary: 'List tasks, newest first',
      security: BEARER_SECURITY,
      middleware: [read],
      request: { query: TaskListQuery },
      responses: { 200: jsonContent(pageSchema(TaskSchema), 'A page of tasks'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const page = await hq.tasks.list({ states: q.state, nodeId: q.node, agent: q.agent, project: q.project, text: q.q, cursor: q.cursor, limit: q.limit });
      return c.json({ items: page.items.map(toTaskDto), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: TASK,
      tags: ['tasks'],
      summary: 'Get a task',
      security: BEARER_SECURITY,
      middleware: [read],
      request: { params: IdParam },
      responses: { 200: jsonContent(TaskSchema, 'The task'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
    }),
    async (c) => c.json(toTaskDto(await hq.tasks.get(c.req.valid('param').id)), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${TASK}/events`,
      tags: ['tasks'],
      summary: "A task's events after a sequence number",
      security: BEARER_SECURITY,
      middleware: [read],
      request: { params: IdParam, query: AfterQuery },
      responses: { 200: jsonContent(afterPageSchema(EventSchema), 'Events, ascending'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const events = await hq.tasks.events(c.req.valid('param').id, { afterSeq: q.after, limit: q.limit });
      return c.json({ items: events.map(toEventDto), nextAfter: events.at(-1)?.seq ?? q.after }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${TASK}/logs`,
      tags: ['tasks'],
      summary: "A task's log lines after a sequence number",
      security: BEARER_SECURITY,
      middleware: [read],
      request: { params: IdParam, query: AfterQuery },
      responses: { 200: jsonContent(afterPageSchema(LogLineSchema), 'Log lines, ascending'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const lines = await hq.tasks.logs(c.req.valid('param').id, { afterSeq: q.after, limit: q.limit });
      return c.json({ items: lines.map(toLogLineDto), nextAfter: lines.at(-1)?.seq ?? q.after }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${TASK}/guidance`,
      tags: ['tasks'],
      summary: "A task's guidance",
      security: BEARER_SECURITY,
      middleware: [read],
      request: { params: IdParam },
      responses: { 200: jsonContent(ItemsOf(GuidanceSchema), 'Guidance, ascending'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR },
    }),
    async (c) => {
      const items = await hq.tasks.guidance(c.req.valid('param').id);
      return c.json({ items: items.map(toGuidanceDto) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${TASK}/pause`,
      tags: ['tasks'],
      summary: 'Pause a task (between iterations, or at once with now: true)',
      security: BEARER_SECURITY,
      middleware: [write],
      request: { params: IdParam, body: { content: { 'application/json': { schema: TaskPauseRequest } }, required: false } },
      responses: { 200: jsonContent(TaskSchema, 'The task'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR, ...CONFLICT_ERROR },
    }),
    async (c) => {
      // Without a body the validator is skipped, so `now` may be absent.
      const body = c.req.valid('json') as { now?: boolean } | undefined;
      const task = await hq.controls.pause(c.req.valid('param').id, { now: body?.now === true }, actorOf(c.get('principal')));
      return c.json(toTaskDto(task), 200);
    },
  );

  for (const action of ['resume', 'stop'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `${TASK}/${action}`,
        tags: ['tasks'],
        summary: action === 'resume' ? 'Resume a paused task' : 'Stop a task (a queued one is cancelled at once)',
        security: BEARER_SECURITY,
        middleware: [write],
        request: { params: IdParam },
        responses: { 200: jsonContent(TaskSchema, 'The task'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR, ...CONFLICT_ERROR },
      }),
      async (c) => {
        const id = c.req.valid('param').id;
        const actor = actorOf(c.get('principal'));
        const task = action === 'resume' ? await hq.controls.resume(id, actor) : await hq.controls.stop(id, actor);
        return c.json(toTaskDto(task), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: `${TASK}/resleeve`,
      tags: ['tasks'],
      summary: 'Move a task to another agent (and model); a running task switches at its next iteration, keeping its workspace',
      security: BEARER_SECURITY,
      middleware: [write],
      request: { params: IdParam, body: jsonBody(TaskResleeveRequest) },
      responses: { 200: jsonContent(TaskSchema, 'The task'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR, ...CONFLICT_ERROR },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const task = await hq.controls.resleeve(c.req.valid('param').id, { agent: body.agent, model: body.model }, actorOf(c.get('principal')));
      return c.json(toTaskDto(task), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${TASK}/guide`,
      tags: ['tasks'],
      summary: 'Add guidance for the next iteration',
      security: BEARER_SECURITY,
      middleware: [write],
      request: { params: IdParam, body: jsonBody(TaskGuideRequest) },
      responses: { 201: jsonContent(GuidanceSchema, 'The guidance'), ...AUTH_ERRORS, ...NOT_FOUND_ERROR, ...CONFLICT_ERROR },
    }),
    async (c) => {
      const g = await hq.controls.guide(c.req.valid('param').id, c.req.valid('json').text, actorOf(c.get('principal')));
      return c.json(toGuidanceDto(g), 201);
    },
  );
}
