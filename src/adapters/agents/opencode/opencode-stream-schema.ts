/**
 * The JSONL OpenCode 1.18 writes with `opencode run --format json`: one event per line, each
 * `{type, timestamp, sessionID, …}`:
 *
 * - `step_start` / `step_finish` (part `step-finish` with `reason`, `tokens`, `cost`) around each
 *   model response; `reason` is `tool-calls` while the turn goes on, else `stop` / `length` …
 * - `text` (a finished text part), `reasoning` (with `--thinking`)
 * - `tool_use` (part `tool` with `state` `completed` or `error`: input, output, metadata)
 * - `error` (`error: {name, data}`; `APIError` data has `statusCode`, `isRetryable`,
 *   `responseHeaders`, `responseBody`)
 *
 * Only the fields Cortical reads are declared; the rest passes through.
 */
import { z } from 'zod';

const count = z.number().nonnegative().optional();
const tokensSchema = z.looseObject({
  input: count,
  output: count,
  reasoning: count,
  cache: z.looseObject({ read: count, write: count }).optional(),
});

export const stepFinishLineSchema = z.object({
  type: z.literal('step_finish'),
  sessionID: z.string().optional(),
  part: z.looseObject({
    reason: z.string().optional(),
    tokens: tokensSchema.optional(),
    cost: z.number().nonnegative().optional(),
  }),
});
export type StepFinishLine = z.infer<typeof stepFinishLineSchema>;

export const textLineSchema = z.object({
  type: z.literal('text'),
  sessionID: z.string().optional(),
  part: z.looseObject({ text: z.string() }),
});

export const toolStateSchema = z.looseObject({
  status: z.string(),
  input: z.record(z.string(), z.unknown()).optional(),
  output: z.string().optional(),
  error: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type ToolState = z.infer<typeof toolStateSchema>;

export const toolUseLineSchema = z.object({
  type: z.literal('tool_use'),
  sessionID: z.string().optional(),
  part: z.looseObject({
    tool: z.string(),
    callID: z.string().optional(),
    id: z.string().optional(),
    state: toolStateSchema,
  }),
});
export type ToolUseLine = z.infer<typeof toolUseLineSchema>;

export const errorLineSchema = z.object({
  type: z.literal('error'),
  sessionID: z.string().optional(),
  error: z.looseObject({
    name: z.string().optional(),
    data: z
      .looseObject({
        message: z.string().optional(),
        statusCode: z.number().optional(),
        isRetryable: z.boolean().optional(),
        responseHeaders: z.record(z.string(), z.string()).optional(),
        responseBody: z.string().optional(),
        providerID: z.string().optional(),
      })
      .optional(),
  }),
});
export type ErrorLine = z.infer<typeof errorLineSchema>;

/** Any line with a session id (every event carries one). */
export const sessionOfLineSchema = z.object({ type: z.string(), sessionID: z.string().min(1) });
