/**
 * The HQ config file (JSON): `--config FILE`, else `$CORTICAL_CONFIG`, else `<data dir>/config.json`
 * when it exists. Validated against `HqConfigFileSchema`; errors name the file, the field and what
 * is accepted.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { redactSecrets } from './redact.js';
import { CONFIG_FILE_KEYS, CONFIG_FILE_NAME, HqConfigError, HqConfigFileSchema, type HqConfigFile } from './hq-settings.js';

export interface LoadedConfigFile {
  readonly path: string;
  readonly config: HqConfigFile;
}

/** Parse and validate a config file's text. */
export function parseConfigFileText(path: string, text: string): HqConfigFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new HqConfigError(`config file ${path} is not valid JSON: ${redactSecrets((e as Error).message)}`);
  }
  const parsed = HqConfigFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => describeIssue(i)).join('; ');
    throw new HqConfigError(
      `config file ${path}: ${issues} (accepted keys: ${CONFIG_FILE_KEYS.join(', ')}; ` +
        'e.g. {"preset": "cluster", "store": "postgres://…", "bus": "nats://127.0.0.1:4222"})',
    );
  }
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  const field = issue.path.length === 0 ? 'the file' : `field "${issue.path.join('.')}"`;
  if (issue.path[0] === 'preset') return `${field}: expected one of single, cluster`;
  return `${field}: ${issue.message}`;
}

/**
 * Read the config file. An explicit path (flag or environment) must exist; the default
 * `<data dir>/config.json` is optional (null when absent).
 */
export async function loadHqConfigFile(input: {
  readonly flag?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly dataDir: string;
  readonly cwd: string;
}): Promise<LoadedConfigFile | null> {
  const explicit = nonEmpty(input.flag) ? { path: input.flag, where: '--config' } : nonEmpty(input.env['CORTICAL_CONFIG']) ? { path: input.env['CORTICAL_CONFIG'], where: 'CORTICAL_CONFIG' } : null;
  const path = explicit === null ? join(input.dataDir, CONFIG_FILE_NAME) : resolve(input.cwd, explicit.path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (explicit === null && code === 'ENOENT') return null;
    throw new HqConfigError(`cannot read the config file ${path} (${explicit?.where ?? 'default location'}): ${code ?? (e as Error).message}`);
  }
  return { path, config: parseConfigFileText(path, text) };
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== '';
}
