/**
 * Where the CLI finds HQ and its token. Precedence, per setting: flags (`--hq`, `--token`) >
 * environment (`CORTICAL_HQ`, `CORTICAL_TOKEN`) > the context file that `cortical up` writes at
 * `<data-dir>/context.json`. The context's token is only used for the context's own HQ, so a local
 * admin token is never sent to another HQ named by a flag or the environment.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import type { CliIo } from './cli-io.js';
import { CliError, CliUsageError } from './cli-errors.js';

export const CONTEXT_FILE_NAME = 'context.json';

export const CliContextSchema = z.object({
  /** Base URL of HQ, e.g. `http://127.0.0.1:7470`. */
  hq: z.string().min(1),
  /** Absolute path of a file holding the API token. */
  tokenFile: z.string().min(1),
});
export type CliContext = z.infer<typeof CliContextSchema>;

export type SettingSource = 'flag' | 'env' | 'context';

export interface ClientSettings {
  /** Normalised base URL (no trailing slash). */
  readonly hq: string;
  readonly token: string;
  readonly hqSource: SettingSource;
  readonly tokenSource: SettingSource;
}

export interface ClientFlags {
  readonly hq?: string | undefined;
  readonly token?: string | undefined;
}

/** Expands a leading `~/` and resolves against the CLI's working directory. */
export function resolvePath(io: Pick<CliIo, 'cwd' | 'homedir'>, path: string): string {
  const expanded = path === '~' ? io.homedir : path.startsWith('~/') ? join(io.homedir, path.slice(2)) : path;
  return isAbsolute(expanded) ? resolve(expanded) : resolve(io.cwd, expanded);
}

/** The data directory: `--data-dir` > `$CORTICAL_HOME` > `~/.cortical`. Always absolute. */
export function resolveDataDir(io: Pick<CliIo, 'cwd' | 'homedir' | 'env'>, flag?: string): string {
  if (flag !== undefined && flag !== '') return resolvePath(io, flag);
  const home = io.env['CORTICAL_HOME'];
  if (home !== undefined && home !== '') return resolvePath(io, home);
  return join(io.homedir, '.cortical');
}

export function contextFilePath(dataDir: string): string {
  return join(dataDir, CONTEXT_FILE_NAME);
}

/**
 * Writes `<dataDir>/context.json` (mode 0600, directory created with 0700) so that client
 * commands on this machine find HQ without flags. Returns the file's path.
 */
export async function writeContext(dataDir: string, context: CliContext): Promise<string> {
  const parsed = CliContextSchema.parse({ hq: normaliseHqUrl(context.hq), tokenFile: context.tokenFile });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = contextFilePath(dataDir);
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(parsed, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

/** Reads the context file; null when there is none. Throws `CliError` when it is unreadable. */
export async function readContext(dataDir: string): Promise<CliContext | null> {
  const path = contextFilePath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isNotFound(e)) return null;
    throw new CliError(`cannot read ${path}: ${errorText(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON; delete it or run \`cortical up\` again`);
  }
  const parsed = CliContextSchema.safeParse(json);
  if (!parsed.success) {
    throw new CliError(`${path} must hold {"hq": URL, "tokenFile": PATH}; delete it or run \`cortical up\` again`);
  }
  return parsed.data;
}

/** Validates an HQ URL and strips trailing slashes. Throws `CliUsageError`. */
export function normaliseHqUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliUsageError(`invalid HQ URL '${raw}': expected e.g. http://127.0.0.1:7470`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliUsageError(`invalid HQ URL '${raw}': only http:// and https:// are supported`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** Resolves HQ URL and token by precedence; throws `CliError` telling how to fix a gap. */
export async function loadClientSettings(io: CliIo, flags: ClientFlags): Promise<ClientSettings> {
  const dataDir = resolveDataDir(io);
  let context: CliContext | null | undefined;
  const getContext = async (): Promise<CliContext | null> => {
    if (context === undefined) context = await readContext(dataDir);
    return context;
  };

  let hq: string;
  let hqSource: SettingSource;
  if (nonEmpty(flags.hq)) {
    hq = normaliseHqUrl(flags.hq);
    hqSource = 'flag';
  } else if (nonEmpty(io.env['CORTICAL_HQ'])) {
    hq = normaliseHqUrl(io.env['CORTICAL_HQ']);
    hqSource = 'env';
  } else {
    const ctx = await getContext();
    if (ctx === null) {
      throw new CliError(
        `no HQ configured: run \`cortical up\` on this machine (it writes ${contextFilePath(dataDir)}), ` +
          'or pass --hq URL --token TOKEN (or set CORTICAL_HQ and CORTICAL_TOKEN)',
      );
    }
    hq = normaliseHqUrl(ctx.hq);
    hqSource = 'context';
  }

  if (nonEmpty(flags.token)) return { hq, token: flags.token.trim(), hqSource, tokenSource: 'flag' };
  const envToken = io.env['CORTICAL_TOKEN'];
  if (nonEmpty(envToken)) return { hq, token: envToken.trim(), hqSource, tokenSource: 'env' };

  const ctx = await getContext();
  if (ctx !== null && normaliseHqUrl(ctx.hq) === hq) {
    const tokenPath = resolvePath(io, ctx.tokenFile);
    let token: string;
    try {
      token = (await readFile(tokenPath, 'utf8')).trim();
    } catch (e) {
      throw new CliError(`cannot read the token file ${tokenPath} named in ${contextFilePath(dataDir)}: ${errorText(e)}`);
    }
    if (token === '') throw new CliError(`the token file ${tokenPath} is empty`);
    return { hq, token, hqSource, tokenSource: 'context' };
  }
  throw new CliError(
    `no API token for ${hq}: pass --token TOKEN or set CORTICAL_TOKEN ` +
      '(`cortical token create --role operator` on a machine with access makes one)',
  );
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== '';
}

function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ENOENT';
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
