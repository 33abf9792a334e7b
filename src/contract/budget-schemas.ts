import { z } from 'zod';

export const BudgetPutRequest = z
  .strictObject({
    /** Dollars per UTC day; null = no dollar budget. */
    dailyUsd: z.number().positive('dailyUsd: a positive number of dollars, or null').nullable().default(null),
    /** Tokens (in + out) per UTC day; null = no token budget. */
    dailyTokens: z.number().int().positive('dailyTokens: a positive whole number, or null').nullable().default(null),
  })
  .describe('Both null clears the budget.');

export const SpendSchema = z.object({ usd: z.number(), tokens: z.number().int() });

export const ProjectBudgetSchema = z.object({
  project: z.string(),
  dailyUsd: z.number().nullable(),
  dailyTokens: z.number().int().nullable(),
  /** Spend so far this UTC day. */
  today: SpendSchema,
});

export const ProjectPage = z.object({ items: z.array(ProjectBudgetSchema), total: z.number().int(), nextOffset: z.number().int().nullable() });

export const UsageQuery = z.strictObject({
  by: z.enum(['project', 'node', 'day']).default('project'),
  days: z.coerce.number().int().min(1, 'days: 1 to 366').max(366, 'days: 1 to 366').default(1),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const UsageRowSchema = z.object({ key: z.string(), tokensIn: z.number().int(), tokensOut: z.number().int(), usd: z.number() });
export const UsagePage = z.object({ items: z.array(UsageRowSchema), nextOffset: z.number().int().nullable() });

export const PageQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
