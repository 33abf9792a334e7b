/**
 * The JSON lines the built-in agent program prints on stdout, one event a line, tagged
 * `"builtin": "<type>"`. The driver's output parser turns them into AgentEvents (pricing the
 * usage); anything else on stdout is a log line.
 */
import { z } from 'zod';
import { AGENT_ERROR_REASONS } from '../../../core/ports/agent-driver.js';
import { TOOL_TIERS } from '../../../core/tool-policy.js';

const count = z.number().int().min(0);

export const BuiltinEventSchema = z.discriminatedUnion('builtin', [
  z.object({ builtin: z.literal('message'), text: z.string() }),
  z.object({ builtin: z.literal('tool_call'), id: z.string(), name: z.string(), input: z.string() }),
  z.object({ builtin: z.literal('tool_result'), id: z.string(), ok: z.boolean(), output: z.string() }),
  /** Every policy decision on a tool call, allowed or not (the driver records it with the node's policy gate). */
  z.object({ builtin: z.literal('policy_decision'), id: z.string(), name: z.string(), tier: z.enum(TOOL_TIERS), allowed: z.boolean(), reason: z.string() }),
  z.object({ builtin: z.literal('policy_denied'), id: z.string(), name: z.string(), tier: z.enum(TOOL_TIERS), reason: z.string() }),
  z.object({ builtin: z.literal('file_change'), path: z.string(), change: z.enum(['created', 'modified', 'deleted']) }),
  /** Cumulative within the iteration. */
  z.object({ builtin: z.literal('usage'), model: z.string(), tokensIn: count, tokensOut: count, cachedTokensIn: count, reasoningTokens: count }),
  z.object({ builtin: z.literal('guidance'), text: z.string() }),
  z.object({ builtin: z.literal('retry'), attempt: z.number().int(), waitMs: count, message: z.string() }),
  z.object({ builtin: z.literal('done'), summary: z.string().nullable() }),
  z.object({
    builtin: z.literal('error'),
    reason: z.enum(AGENT_ERROR_REASONS),
    message: z.string(),
    fatal: z.boolean(),
    retryAfterMs: count.optional(),
  }),
]);
export type BuiltinEvent = z.infer<typeof BuiltinEventSchema>;

/** One stdout line for `event`. */
export function formatBuiltinEvent(event: BuiltinEvent): string {
  return JSON.stringify(event);
}
