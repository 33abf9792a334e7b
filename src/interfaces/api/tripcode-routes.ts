import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { TerminalError } from '../../core/errors.js';
import { actorOf } from '../../services/hq/auth-service.js';
import type { Hq } from '../../services/hq/hq.js';
import type { TripcodeService } from '../../services/hq/tripcode-service.js';
import type { ApiEnv } from './api-env.js';
import { bearerOf } from './auth-middleware.js';
import { AUTH_ERRORS, BEARER_SECURITY, jsonBody, jsonContent } from './openapi-helpers.js';

export const TripcodeIssueRequest = z
  .object({
    code: z
      .string()
      .min(1)
      .max(300)
      .describe('RECOVERY:REVERT_SNAPSHOT::<id>, RECOVERY:REIMAGE_TO_GOLDEN[::<target>], RECOVERY:LOCKDOWN[::LIFT] or RECOVERY:DIAGNOSTIC::basic|full'),
  })
  .strict()
  .openapi('TripcodeIssueRequest');

export const TripcodeIssueResponse = z
  .object({
    payload: z.string().describe('`ts|code|sig`: hand it to whoever applies it; single-use'),
    code: z.string(),
    expiresAt: z.number().int().describe('ms since the epoch after which the payload is refused'),
  })
  .openapi('TripcodeIssueResponse');

export const TripcodeApplyRequest = z.object({ payload: z.string().min(1).max(1000) }).strict().openapi('TripcodeApplyRequest');

export const TripcodeApplyResponse = z
  .discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), code: z.string(), detail: z.string() }),
    z.object({
      ok: z.literal(false),
      code: z.string().nullable(),
      reason: z.enum(['malformed', 'forged', 'expired', 'replayed', 'cooldown', 'wrong_code', 'action_failed']),
      detail: z.string(),
      retryAfterMs: z.number().int().optional(),
    }),
  ])
  .openapi('TripcodeApplyResponse');

/** Tripcodes are admin-only: no other role may issue or apply one. */
function requireAdmin(hq: Hq) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const principal = await hq.auth.authenticate(bearerOf(c.req.header('authorization')));
    if (principal.role !== 'admin') {
      throw new TerminalError('FORBIDDEN', `tripcodes are for admins only; role ${principal.role} may not use them`, { role: principal.role });
    }
    c.set('principal', principal);
    await next();
  });
}

/**
 * `POST /api/v1/tripcodes` (issue) and `POST /api/v1/tripcodes/apply`. A rejected tripcode is an
 * outcome, not a request error: HTTP 200 with `ok: false` and the reason (docs/tripcodes.md).
 */
export function registerTripcodeRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq, tripcodes: TripcodeService): void {
  const admin = requireAdmin(hq);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/tripcodes',
      tags: ['safety'],
      summary: 'Issue a signed, single-use, time-boxed recovery code (admin)',
      security: BEARER_SECURITY,
      middleware: [admin],
      request: { body: jsonBody(TripcodeIssueRequest) },
      responses: { 201: jsonContent(TripcodeIssueResponse, 'The signed payload'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const issued = await tripcodes.issue({ code: body.code, actor: actorOf(c.get('principal')) });
      return c.json({ ...issued }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/v1/tripcodes/apply',
      tags: ['safety'],
      summary: 'Apply a tripcode payload (admin); a refused code answers 200 with ok: false and the reason',
      security: BEARER_SECURITY,
      middleware: [admin],
      request: { body: jsonBody(TripcodeApplyRequest) },
      responses: { 200: jsonContent(TripcodeApplyResponse, 'The outcome: applied, or rejected with the reason'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const outcome = await tripcodes.apply({ payload: body.payload, actor: actorOf(c.get('principal')) });
      return c.json({ ...outcome }, 200);
    },
  );
}
