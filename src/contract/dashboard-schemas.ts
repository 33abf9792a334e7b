import { z } from 'zod';
import { AUDIT_EVENT_TYPES } from '../core/audit.js';

export const HourlyUsageQuery = z.strictObject({
  hours: z.coerce.number().int().min(1, 'hours: 1 to 168').max(168, 'hours: 1 to 168').default(24),
});

export const HourlyUsageResponse = z.object({
  items: z.array(z.object({ hour: z.number().int(), usd: z.number(), tokens: z.number().int() })),
});

export const AuditQuery = z.strictObject({
  /** Entries older than this sequence number (the previous page's `nextBefore`). */
  before: z.coerce.number().int().positive('before: a positive event sequence number').optional(),
  limit: z.coerce.number().int().min(1, 'limit: 1 to 500').max(500, 'limit: 1 to 500').default(50),
  /** Comma-separated audited event types. */
  type: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return undefined;
      const parts = s.split(',');
      for (const p of parts) {
        if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(p)) {
          ctx.addIssue({ code: 'custom', message: `type: '${p}' is not an audited event type; accepted: ${AUDIT_EVENT_TYPES.join(', ')}` });
          return z.NEVER;
        }
      }
      return parts as (typeof AUDIT_EVENT_TYPES)[number][];
    }),
  actor: z.string().min(1).max(200).optional(),
  task: z.string().min(1).max(200).optional(),
});

export const AuditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.number(),
  type: z.enum(AUDIT_EVENT_TYPES),
  actor: z.string().nullable(),
  taskId: z.string().nullable(),
  nodeId: z.string().nullable(),
  summary: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export const AuditPageSchema = z.object({ items: z.array(AuditEntrySchema), nextBefore: z.number().int().nullable() });
