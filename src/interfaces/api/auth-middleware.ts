import { createMiddleware } from 'hono/factory';
import { allows, type Permission } from '../../core/auth.js';
import { TerminalError } from '../../core/errors.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';

/** Extract the token from `Authorization: Bearer <token>`; null when the header is absent. */
export function bearerOf(header: string | undefined): string | null {
  if (header === undefined || header.trim() === '') return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header.trim());
  if (m === null) {
    throw new TerminalError('UNAUTHENTICATED', 'malformed Authorization header: expected Bearer <token>');
  }
  return m[1] ?? null;
}

/** Authenticate the caller and check that its role grants `permission` (401 / 403 otherwise). */
export function requireAuth(hq: Hq, permission: Permission) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const principal = await hq.auth.authenticate(bearerOf(c.req.header('authorization')));
    if (!allows(principal.role, permission)) {
      throw new TerminalError('FORBIDDEN', `role ${principal.role} lacks permission ${permission}`, {
        role: principal.role,
        permission,
      });
    }
    c.set('principal', principal);
    await next();
  });
}
