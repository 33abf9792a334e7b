/**
 * Configuration from the environment. Only `src/main` reads `process.env`. Tuning knobs are
 * environment variables so tests and operators can shorten timings without new flags.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const msVar = z.coerce.number().int().positive();

const EnvSchema = z.object({
  CORTICAL_HOME: z.string().min(1).optional(),
  CORTICAL_LEASE_TTL_MS: msVar.optional(),
  CORTICAL_HEARTBEAT_INTERVAL_MS: msVar.optional(),
  CORTICAL_NODE_LOST_AFTER_MS: msVar.optional(),
  CORTICAL_NODE_ACCESS_TTL_MS: msVar.optional(),
  CORTICAL_SCHEDULER_INTERVAL_MS: msVar.optional(),
  CORTICAL_REAPER_INTERVAL_MS: msVar.optional(),
  CORTICAL_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
});

export type EnvConfig = z.infer<typeof EnvSchema>;

export function readEnvConfig(env: NodeJS.ProcessEnv): EnvConfig {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid environment: ${issues} (durations are whole milliseconds)`);
  }
  return parsed.data;
}

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  return resolve(env.CORTICAL_HOME ?? join(homedir(), '.cortical'));
}

export const VERSION = '0.1.0';
