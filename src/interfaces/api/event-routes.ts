import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { StoredEvent } from '../../core/events.js';
import { TerminalError } from '../../core/errors.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { toEventDto } from './dto.js';
import { AUTH_ERRORS, BEARER_SECURITY } from './openapi-helpers.js';

export const EventStreamQuery = z.strictObject({
  /** Resume after this sequence number (the `Last-Event-ID` header wins when both are sent). */
  after: z.coerce.number().int().nonnegative().optional(),
  /** Only events of this task. */
  task: z.string().min(1).max(200).optional(),
  /** `false`: send what exists and close. */
  follow: z.enum(['true', 'false']).default('true'),
});

/** Keep-alive comment after this much silence. */
const KEEP_ALIVE_MS = 15_000;

function lastEventIdOf(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const v = header.trim();
  if (!/^\d{1,15}$/.test(v)) {
    throw new TerminalError('VALIDATION_FAILED', 'Last-Event-ID must be a non-negative integer event sequence number', {
      field: 'header.last-event-id',
    });
  }
  return Number(v);
}

async function writeEvents(stream: SSEStreamingApi, events: readonly StoredEvent[]): Promise<void> {
  for (const e of events) {
    await stream.writeSSE({ id: String(e.seq), event: e.type, data: JSON.stringify(toEventDto(e)) });
  }
}

/** `GET /api/v1/events`: the event log as Server-Sent Events, resumable by sequence number. */
export function registerEventRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/events',
      tags: ['events'],
      summary: 'Event stream (Server-Sent Events); resume with Last-Event-ID or ?after=',
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'events:read')],
      request: { query: EventStreamQuery },
      responses: {
        200: {
          description: 'id: <seq>, event: <type>, data: <StoredEvent JSON>',
          content: { 'text/event-stream': { schema: z.string() } },
        },
        ...AUTH_ERRORS,
      },
    }),
    (c) => {
      const q = c.req.valid('query');
      const afterSeq = lastEventIdOf(c.req.header('last-event-id')) ?? q.after ?? 0;
      const follow = q.follow === 'true';
      const requestSignal = c.req.raw.signal;
      return streamSSE(c, async (stream) => {
        const ac = new AbortController();
        const abort = (): void => ac.abort();
        stream.onAbort(abort);
        requestSignal.addEventListener('abort', abort, { once: true });
        try {
          if (!follow) {
            for await (const page of hq.events.drain({ afterSeq, taskId: q.task })) await writeEvents(stream, page);
            return;
          }
          await stream.write(': connected\n\n');
          let lastWriteAt = Date.now();
          for await (const item of hq.events.follow({ afterSeq, taskId: q.task, signal: ac.signal })) {
            if (stream.aborted || stream.closed) break;
            if (item.kind === 'events') {
              await writeEvents(stream, item.events);
              lastWriteAt = Date.now();
            } else if (Date.now() - lastWriteAt >= KEEP_ALIVE_MS) {
              await stream.write(': keep-alive\n\n');
              lastWriteAt = Date.now();
            }
          }
        } finally {
          requestSignal.removeEventListener('abort', abort);
          ac.abort();
        }
      }, async (err) => {
        hq.deps.logger.error({ err: err.message }, 'event stream failed');
        await Promise.resolve();
      });
    },
  );
}
