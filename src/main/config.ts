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
  /** `1`/`true`: serve `/metrics` without a token (for a scraper on a private network). */
  CORTICAL_METRICS_PUBLIC: z.enum(['0', '1', 'true', 'false']).optional(),
  /** Blue for Bridge calls: `git:/abs/repo#branch` or `release:/abs/dir`. */
  CORTICAL_PIPELINE_TARGET: z.string().min(1).optional(),
  /** Projects whose tasks with a repository go through the pipeline: `project=branch,project=branch`. */
  CORTICAL_PIPELINE_PROJECTS: z
    .string()
    .regex(/^\s*[^=,\s]+=[^=,\s]+\s*(,\s*[^=,\s]+=[^=,\s]+\s*)*$/, 'expected project=branch[,project=branch…]')
    .optional(),
  /** The safety policy file (YAML), loaded and validated at start; default: the built-in policy. */
  CORTICAL_POLICY_FILE: z.string().min(1).optional(),
  /** Serve the gRPC Bridge on this port (0 = any free port); unset = no Bridge. */
  CORTICAL_BRIDGE_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** The Bridge's TLS certificate (PEM file; with CORTICAL_BRIDGE_TLS_KEY): serve TLS, not plain text. */
  CORTICAL_BRIDGE_TLS_CERT: z.string().min(1).optional(),
  /** The private key of CORTICAL_BRIDGE_TLS_CERT (PEM file). */
  CORTICAL_BRIDGE_TLS_KEY: z.string().min(1).optional(),
  /** CA certificates (PEM file) that client certificates must chain to: mutual TLS on the Bridge. */
  CORTICAL_BRIDGE_CLIENT_CA: z.string().min(1).optional(),
  /** Revocation lists of the client CA (PEM file): revoked client certificates are refused; re-read when the file changes. */
  CORTICAL_BRIDGE_CLIENT_CRL: z.string().min(1).optional(),
  /** How often the Bridge's client CRL file is checked for changes, in ms. */
  CORTICAL_BRIDGE_CLIENT_CRL_CHECK_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  /** `label`: a Bridge call's client certificate CN must equal its token's label; `none`: any client certificate of the CA. */
  CORTICAL_BRIDGE_CLIENT_CERT_BINDING: z.enum(['none', 'label']).default('none'),
}).superRefine((env, ctx) => {
  const cert = env.CORTICAL_BRIDGE_TLS_CERT !== undefined;
  const key = env.CORTICAL_BRIDGE_TLS_KEY !== undefined;
  if (cert && !key) {
    ctx.addIssue({ code: 'custom', path: ['CORTICAL_BRIDGE_TLS_KEY'], message: 'CORTICAL_BRIDGE_TLS_CERT is set but CORTICAL_BRIDGE_TLS_KEY is not: set both (PEM file paths) or neither' });
  } else if (key && !cert) {
    ctx.addIssue({ code: 'custom', path: ['CORTICAL_BRIDGE_TLS_CERT'], message: 'CORTICAL_BRIDGE_TLS_KEY is set but CORTICAL_BRIDGE_TLS_CERT is not: set both (PEM file paths) or neither' });
  }
  if (env.CORTICAL_BRIDGE_CLIENT_CA !== undefined && !(cert && key)) {
    ctx.addIssue({ code: 'custom', path: ['CORTICAL_BRIDGE_CLIENT_CA'], message: 'mutual TLS needs TLS: set CORTICAL_BRIDGE_TLS_CERT and CORTICAL_BRIDGE_TLS_KEY too' });
  }
  if (env.CORTICAL_BRIDGE_CLIENT_CERT_BINDING === 'label' && env.CORTICAL_BRIDGE_CLIENT_CA === undefined) {
    ctx.addIssue({ code: 'custom', path: ['CORTICAL_BRIDGE_CLIENT_CERT_BINDING'], message: 'binding tokens to client certificates needs mutual TLS: set CORTICAL_BRIDGE_CLIENT_CA (and the TLS certificate and key) too' });
  }
  if (env.CORTICAL_BRIDGE_CLIENT_CRL !== undefined && env.CORTICAL_BRIDGE_CLIENT_CA === undefined) {
    ctx.addIssue({ code: 'custom', path: ['CORTICAL_BRIDGE_CLIENT_CRL'], message: 'a client CRL needs mutual TLS: set CORTICAL_BRIDGE_CLIENT_CA (and the TLS certificate and key) too' });
  }
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
