/**
 * The environment a sleeve gets: a short allow-list taken from the node's own environment, a
 * workspace-scoped HOME, and what the caller adds. Everything else (API keys, cloud credentials,
 * tokens, SSH agent sockets) is dropped.
 */
export const PASSED_THROUGH_VARS = ['PATH', 'LANG', 'TERM'] as const;

const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin';

export function scrubbedEnv(
  source: Readonly<Record<string, string | undefined>>,
  options: { homeDir: string; extra?: Readonly<Record<string, string>> },
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH_VARS) {
    const value = source[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  env.PATH ??= FALLBACK_PATH;
  env.LANG ??= 'C.UTF-8';
  env.TERM ??= 'dumb';
  env.HOME = options.homeDir;
  return { ...env, ...(options.extra ?? {}) };
}
