/**
 * A node's model endpoint settings from a file (`CORTICAL_AGENTS_ENV=/etc/cortical/agents.env`):
 * `NAME=value` lines (as in a .env file: `#` comments, optional quotes, `export ` allowed). Its
 * values win over the node's environment. It holds keys: a file others can read gets a warning.
 */
import { readFile, stat } from 'node:fs/promises';
import { CorticalError } from '../core/errors.js';
import type { Logger } from '../core/ports/logger.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses .env-style text; throws with the line number for a malformed line. */
export function parseEnvFile(text: string, file = 'the file'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const body = line.startsWith('export ') ? line.slice(7).trim() : line;
    const eq = body.indexOf('=');
    const name = eq < 0 ? '' : body.slice(0, eq).trim();
    if (eq < 0 || !NAME.test(name)) {
      throw new CorticalError('VALIDATION_FAILED', `${file}, line ${i + 1}: expected NAME=value (a variable name of letters, digits and _), got ${JSON.stringify(line.slice(0, 40))}`);
    }
    let value = body.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) value = value.slice(1, -1);
    out[name] = value;
  }
  return out;
}

/** The node's environment with the agents env file (if `CORTICAL_AGENTS_ENV` names one) laid over it. */
export async function withAgentsEnvFile(env: Readonly<Record<string, string | undefined>>, logger: Logger): Promise<Record<string, string | undefined>> {
  const file = env.CORTICAL_AGENTS_ENV?.trim();
  if (file === undefined || file === '') return { ...env };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CorticalError('VALIDATION_FAILED', `CORTICAL_AGENTS_ENV=${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const mode = (await stat(file)).mode & 0o077;
  if (mode !== 0) logger.warn({ file }, 'the agents env file holds API keys but others can read it: chmod 600 it');
  return { ...env, ...parseEnvFile(text, file) };
}
