/**
 * The Gemini CLI's `--output-format stream-json` lines (0.61): one JSON object a line, `type` one
 * of `init`, `message`, `tool_use`, `tool_result`, `error`, `result`. Only the fields Cortical
 * reads are checked; unknown fields pass.
 */
import { z } from 'zod';

const count = z.number().finite().nonnegative().catch(0);

export const geminiModelStatsSchema = z
  .object({
    total_tokens: count.optional(),
    input_tokens: count.optional(),
    output_tokens: count.optional(),
    cached: count.optional(),
  })
  .passthrough();

export type GeminiModelStats = z.infer<typeof geminiModelStatsSchema>;

export const geminiStatsSchema = geminiModelStatsSchema.extend({
  duration_ms: z.number().optional(),
  tool_calls: z.number().optional(),
  models: z.record(z.string(), geminiModelStatsSchema).optional(),
});

export type GeminiStats = z.infer<typeof geminiStatsSchema>;

const errorInfo = z.object({ type: z.string().optional(), message: z.string().optional() }).passthrough();

export const geminiStreamLineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('init'), session_id: z.string().optional(), model: z.string().optional() }).passthrough(),
  z.object({ type: z.literal('message'), role: z.string().optional(), content: z.string().optional(), delta: z.boolean().optional() }).passthrough(),
  z.object({ type: z.literal('tool_use'), tool_name: z.string(), tool_id: z.string(), parameters: z.unknown().optional() }).passthrough(),
  z
    .object({ type: z.literal('tool_result'), tool_id: z.string(), status: z.string().optional(), output: z.string().optional(), error: errorInfo.optional() })
    .passthrough(),
  z.object({ type: z.literal('error'), severity: z.string().optional(), message: z.string().optional() }).passthrough(),
  z.object({ type: z.literal('result'), status: z.string().optional(), error: errorInfo.optional(), stats: geminiStatsSchema.optional() }).passthrough(),
]);

export type GeminiStreamLine = z.infer<typeof geminiStreamLineSchema>;
