import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { tokenState, type TokenKind, type TokenRecord } from '../../core/auth.js';
import { TokenCreateRequest, TokenCreateResponse, TokenIdParam, TokenListQuery, TokenSchema, type TokenDto } from '../../contract/node-schemas.js';
import { pageSchema } from '../../contract/task-schemas.js';
import { actorOf } from '../../services/hq/auth-service.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { requireAuth } from './auth-middleware.js';
import { AUTH_ERRORS, BAD_REQUEST_ERROR, BEARER_SECURITY, CONFLICT_ERROR, jsonBody, jsonContent, NOT_FOUND_ERROR } from './openapi-helpers.js';

const TOKENS = '/api/v1/tokens';

/** A token's metadata for the API: never its secret or hash. */
export function toTokenDto(t: TokenRecord, nowMs: number): TokenDto {
  return {
    id: t.id,
    kind: t.kind,
    role: t.role,
    label: t.label,
    nodeId: t.nodeId,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    singleUse: t.singleUse,
    usedAt: t.usedAt,
    revokedAt: t.revokedAt,
    state: tokenState(t, nowMs),
  };
}

/** API and join tokens: create (shown once), list (metadata), revoke. Admin only (tokens:write). */
export function registerTokenRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq): void {
  const admin = requireAuth(hq, 'tokens:write');
  app.openapi(
    createRoute({
      method: 'post',
      path: TOKENS,
      tags: ['tokens'],
      summary: 'Create an API token (admin, operator, viewer) or a join token (node)',
      security: BEARER_SECURITY,
      middleware: [admin],
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

  app.openapi(
    createRoute({
      method: 'get',
      path: TOKENS,
      tags: ['tokens'],
      summary: 'List tokens, newest first: metadata only (default: active API and join tokens)',
      security: BEARER_SECURITY,
      middleware: [admin],
      request: { query: TokenListQuery },
      responses: { 200: jsonContent(pageSchema(TokenSchema), 'A page of tokens'), ...BAD_REQUEST_ERROR, ...AUTH_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const kinds = (q.kind ?? 'api,join').split(',').map((k) => k.trim() as TokenKind);
      const page = await hq.auth.listTokens({ kinds, active: q.all !== 'true', cursor: q.cursor, limit: q.limit });
      const now = hq.deps.clock.nowMs();
      return c.json({ items: page.items.map((t) => toTokenDto(t, now)), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: `${TOKENS}/{id}`,
      tags: ['tokens'],
      summary: 'Revoke an API or join token (at once; the last active admin token is kept)',
      security: BEARER_SECURITY,
      middleware: [admin],
      request: { params: TokenIdParam },
      responses: { 200: jsonContent(TokenSchema, 'The revoked token'), ...BAD_REQUEST_ERROR, ...NOT_FOUND_ERROR, ...CONFLICT_ERROR, ...AUTH_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const revoked = await hq.auth.revokeToken(id, actorOf(c.get('principal')), { userKindsOnly: true });
      return c.json(toTokenDto(revoked, hq.deps.clock.nowMs()), 200);
    },
  );
}
