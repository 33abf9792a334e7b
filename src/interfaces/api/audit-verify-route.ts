import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { TerminalError } from '../../core/errors.js';
import type { AuditVerifier } from '../../services/hq/audit-verifier.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { bearerOf, requireAuth } from './auth-middleware.js';
import { AUTH_ERRORS, BEARER_SECURITY, jsonContent } from './openapi-helpers.js';

const PROBLEM_KINDS = [
  'gap',
  'reordered',
  'link_broken',
  'hash_mismatch',
  'bad_signature',
  'entry_unparseable',
  'event_changed',
  'event_missing',
  'head_missing',
  'head_mismatch',
  'head_bad_signature',
] as const;

export const AuditVerifyReportSchema = z.object({
  ok: z.boolean(),
  links: z.number().int(),
  headSeq: z.number().int(),
  problems: z.array(z.object({ seq: z.number().int(), kind: z.enum(PROBLEM_KINDS), detail: z.string() })),
  problemCount: z.number().int(),
  checkedEvents: z.number().int(),
  unsealed: z.number().int(),
});

export const AuditPublicKeySchema = z.object({
  algorithm: z.literal('Ed25519'),
  /** SPKI PEM. */
  publicKeyPem: z.string(),
  fingerprint: z.string(),
});

/** Admins only (the walk reads the whole chain and event log). */
function requireAdmin(hq: Hq) {
  return createMiddleware<ApiEnv>(async (c, next) => {
    const principal = await hq.auth.authenticate(bearerOf(c.req.header('authorization')));
    if (principal.role !== 'admin') {
      throw new TerminalError('FORBIDDEN', `role ${principal.role} may not verify the audit log: admin only`, { role: principal.role });
    }
    c.set('principal', principal);
    await next();
  });
}

/** `GET /api/v1/audit/verify` (admin): the audit chain's check; `GET /api/v1/audit/public-key`: the key it is signed with. */
export function registerAuditVerifyRoute(app: OpenAPIHono<ApiEnv>, hq: Hq, verifier: AuditVerifier): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/audit/verify',
      tags: ['audit'],
      summary: 'Check the audit hash chain end to end: edits, deletions and reordering are reported (admin)',
      security: BEARER_SECURITY,
      middleware: [requireAdmin(hq)],
      responses: { 200: jsonContent(AuditVerifyReportSchema, 'The report; `ok` false when the chain was tampered with'), ...AUTH_ERRORS },
    }),
    async (c) => c.json(AuditVerifyReportSchema.parse(await verifier.verify()), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/audit/public-key',
      tags: ['audit'],
      summary: "HQ's audit public key (Ed25519, PEM): checks the chain's signatures without HQ",
      security: BEARER_SECURITY,
      middleware: [requireAuth(hq, 'events:read')],
      responses: { 200: jsonContent(AuditPublicKeySchema, 'The public key'), ...AUTH_ERRORS },
    }),
    async (c) => {
      const key = await verifier.publicKey();
      return c.json({ algorithm: 'Ed25519' as const, publicKeyPem: key.pem, fingerprint: key.fingerprint }, 200);
    },
  );
}
