/**
 * The built-in agent's per-run configuration: written by the driver as JSON under the sleeve's
 * HOME (read-only inside the sleeve), read and validated by the agent program. The API key is not
 * in it: the program reads it from the environment variable `BUILTIN_API_KEY_ENV`.
 */
import { z } from 'zod';
import { TOOL_TIERS } from '../../../core/tool-policy.js';

/** The environment variable that carries the endpoint's key into the sleeve. */
export const BUILTIN_API_KEY_ENV = 'CORTICAL_BUILTIN_API_KEY';

/** The per-run directory under HOME: `config.json` and `guidance/NNN.txt`. */
export const BUILTIN_DIR_NAME = '.cortical-builtin';

export const BuiltinLimitsSchema = z.object({
  /** Model calls per iteration. */
  maxSteps: z.number().int().positive().default(50),
  /** Output tokens per model call. */
  maxTokens: z.number().int().positive().default(8192),
  /** A run_command's time limit (ms); the model may ask for less. */
  commandTimeoutMs: z.number().int().positive().default(120_000),
  /** Characters of a tool's output the model (and the events) get; the rest is cut from the middle. */
  maxOutputChars: z.number().int().positive().default(16_000),
  /** A model request with no bytes for this long fails (ms). */
  requestTimeoutMs: z.number().int().positive().default(300_000),
  /** Retries of a model call after a 429, 5xx or network error. */
  maxRetries: z.number().int().min(0).default(2),
  /** Longest wait before a retry (ms), whatever Retry-After says. */
  maxRetryWaitMs: z.number().int().min(0).default(30_000),
});
export type BuiltinLimits = z.infer<typeof BuiltinLimitsSchema>;

export const BuiltinPolicySchema = z.object({
  maxTier: z.enum(TOOL_TIERS).default('T1'),
  allow: z.array(z.string()).default([]),
  deny: z.array(z.string()).default([]),
  roots: z.array(z.string()).default([]),
});

export const BuiltinConfigSchema = z.object({
  version: z.literal(1),
  endpoint: z.object({
    kind: z.enum(['openai', 'anthropic']),
    /** OpenAI: up to `/v1` (`…/chat/completions` is appended); Anthropic: without `/v1`. */
    baseUrl: z.string().url(),
    model: z.string().min(1),
  }),
  prompt: z.string().min(1),
  /** Absolute workspace path (the program's cwd). */
  workspace: z.string().startsWith('/'),
  /** Directory the driver drops guidance files into (`NNN.txt`). */
  guidanceDir: z.string().startsWith('/'),
  policy: BuiltinPolicySchema.default({ maxTier: 'T1', allow: [], deny: [], roots: [] }),
  /** The fleet lockdown as the node knew it when the iteration started: every T2/T3 call is refused. */
  lockdown: z.boolean().default(false),
  limits: BuiltinLimitsSchema.default(BuiltinLimitsSchema.parse({})),
});
export type BuiltinConfig = z.infer<typeof BuiltinConfigSchema>;
export type BuiltinEndpointKind = BuiltinConfig['endpoint']['kind'];

/** Parses a config file's text; throws an Error naming the problems. */
export function parseBuiltinConfig(text: string): BuiltinConfig {
  const parsed = BuiltinConfigSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`invalid builtin agent config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
