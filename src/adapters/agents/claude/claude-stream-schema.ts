/**
 * The parts of Claude Code's `--output-format stream-json --verbose` lines the driver reads
 * (checked against 2.1.330). Every schema is loose: fields the driver does not read may change.
 *
 * Lines: `system` (subtype `init` with session_id and model, `api_retry`, `status` …),
 * `stream_event` (raw Messages API SSE events, with `--include-partial-messages`), `assistant`
 * (one per content block of a model response; API errors come as a synthetic one with
 * `is_api_error_message`), `user` (tool results; `isReplay` echoes of stdin messages with
 * `--replay-user-messages`), `result` (end of a turn: turn usage, session cost, errors).
 */
import { z } from 'zod';

export const apiUsageSchema = z
  .object({
    input_tokens: z.number().nullish(),
    output_tokens: z.number().nullish(),
    cache_read_input_tokens: z.number().nullish(),
    cache_creation_input_tokens: z.number().nullish(),
  })
  .loose();
export type ApiUsage = z.infer<typeof apiUsageSchema>;

const contentBlockSchema = z
  .object({
    type: z.string(),
    text: z.string().optional(),
    id: z.string().optional(),
    name: z.string().optional(),
    input: z.unknown().optional(),
    tool_use_id: z.string().optional(),
    content: z.unknown().optional(),
    is_error: z.boolean().nullish(),
  })
  .loose();
export type ContentBlock = z.infer<typeof contentBlockSchema>;

export const systemLineSchema = z
  .object({
    type: z.literal('system'),
    subtype: z.string(),
    session_id: z.string().optional(),
    model: z.string().optional(),
    attempt: z.number().optional(),
    max_retries: z.number().optional(),
    retry_delay_ms: z.number().optional(),
    error_status: z.number().nullish(),
    error: z.string().nullish(),
  })
  .loose();

export const streamEventLineSchema = z
  .object({
    type: z.literal('stream_event'),
    event: z
      .object({
        type: z.string(),
        message: z.object({ id: z.string(), model: z.string().optional(), usage: apiUsageSchema.optional() }).loose().optional(),
        usage: apiUsageSchema.optional(),
      })
      .loose(),
    api_message_id: z.string().optional(),
  })
  .loose();

export const assistantLineSchema = z
  .object({
    type: z.literal('assistant'),
    message: z
      .object({
        id: z.string().optional(),
        model: z.string().optional(),
        content: z.array(contentBlockSchema).default([]),
        usage: apiUsageSchema.nullish(),
      })
      .loose(),
    is_api_error_message: z.boolean().optional(),
    /** On an API-error message: `rate_limit`, `authentication_failed` … (also without an HTTP status). */
    error: z.string().nullish(),
    api_error_status: z.number().nullish(),
    api_error_type: z.string().nullish(),
    parent_tool_use_id: z.string().nullish(),
  })
  .loose();

export const userLineSchema = z
  .object({
    type: z.literal('user'),
    message: z.object({ content: z.union([z.string(), z.array(contentBlockSchema)]) }).loose(),
    isReplay: z.boolean().optional(),
    tool_use_result: z.unknown().optional(),
  })
  .loose();

const modelUsageSchema = z
  .object({
    inputTokens: z.number().default(0),
    outputTokens: z.number().default(0),
    cacheReadInputTokens: z.number().default(0),
    cacheCreationInputTokens: z.number().default(0),
    costUSD: z.number().default(0),
  })
  .loose();
export type ModelUsage = z.infer<typeof modelUsageSchema>;

export const resultLineSchema = z
  .object({
    type: z.literal('result'),
    subtype: z.string(),
    is_error: z.boolean().default(false),
    result: z.string().nullish(),
    session_id: z.string().optional(),
    total_cost_usd: z.number().nullish(),
    usage: apiUsageSchema.nullish(),
    model_usage_since_last_result: z.record(z.string(), modelUsageSchema).nullish(),
    api_error_status: z.number().nullish(),
    api_error_type: z.string().nullish(),
    terminal_reason: z.string().nullish(),
    errors: z.array(z.string()).nullish(),
  })
  .loose();
export type ResultLine = z.infer<typeof resultLineSchema>;
