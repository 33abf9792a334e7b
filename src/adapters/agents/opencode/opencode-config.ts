/**
 * Per-run configuration of OpenCode: the global config directory under the sleeve's HOME
 * (`~/.config/opencode`), the environment (endpoint key, offline switches) and the command line.
 *
 * Offline: OpenCode starts a background `npm install @opencode-ai/plugin` in every config
 * directory it loads, unless the directory is not writable or its `node_modules`,
 * `package.json` and `package-lock.json` already list the package. The driver writes those
 * stand-ins (an empty `node_modules`) and lists the whole directory as read-only, so no install
 * starts and the agent cannot add plugins, agents or commands to its own config.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEndpoint } from '../../../core/model-endpoints.js';

export const OPENCODE_DEFAULT_MODEL = 'gpt-4.1';
/** The provider id of the node's endpoint in the generated config (`-m local/MODEL`). */
export const OPENCODE_PROVIDER_ID = 'local';
/** The environment variable the config reads the key from (`{env:…}`): no key on disk. */
export const OPENCODE_KEY_VARIABLE = 'CORTICAL_OPENCODE_API_KEY';
/** The version the stand-in package files name (any value works: only the names are compared). */
const PLUGIN_STAND_IN_VERSION = '1.18.33';

/** The config file's content: one OpenAI-compatible provider for the node's endpoint. */
export function opencodeConfig(opts: { endpoint: ModelEndpoint | null; model: string }): Record<string, unknown> {
  const options: Record<string, string> = { apiKey: `{env:${OPENCODE_KEY_VARIABLE}}` };
  if (opts.endpoint !== null) options.baseURL = opts.endpoint.baseUrl;
  return {
    $schema: 'https://opencode.ai/config.json',
    provider: {
      [OPENCODE_PROVIDER_ID]: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Cortical node endpoint',
        options,
        models: { [opts.model]: { name: opts.model } },
      },
    },
    model: `${OPENCODE_PROVIDER_ID}/${opts.model}`,
    autoupdate: false,
    share: 'disabled',
    // Edits, commands and reads outside the workspace need no approval: the sleeve is the boundary.
    permission: { '*': 'allow', question: 'deny', plan_enter: 'deny', plan_exit: 'deny' },
  };
}

/**
 * Writes `~/.config/opencode` under `homePath` (config and the stand-ins that stop OpenCode's
 * own plugin install); returns the paths to keep read-only (the directory and its files).
 */
export function writeOpencodeConfig(homePath: string, opts: { endpoint: ModelEndpoint | null; model: string }): string[] {
  const dir = join(homePath, '.config', 'opencode');
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  const file = join(dir, 'opencode.json');
  const deps = { '@opencode-ai/plugin': PLUGIN_STAND_IN_VERSION };
  writeFileSync(file, `${JSON.stringify(opencodeConfig(opts), null, 2)}\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ dependencies: deps }, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify({ lockfileVersion: 3, packages: { '': { dependencies: deps } } }, null, 2)}\n`);
  writeFileSync(join(dir, '.gitignore'), ['node_modules', 'package.json', 'package-lock.json', 'bun.lock', '.gitignore'].join('\n'));
  return [dir, file];
}

/** Environment for one run on top of the iteration's (key, offline switches). */
export function opencodeEnv(opts: { homePath: string | undefined; endpoint: ModelEndpoint | null }): Record<string, string> {
  return {
    ...(opts.homePath !== undefined ? { HOME: opts.homePath } : {}),
    [OPENCODE_KEY_VARIABLE]: opts.endpoint?.apiKey ?? 'none',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_SHARE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    OPENCODE_DISABLE_EXTERNAL_SKILLS: '1',
    OPENCODE_DISABLE_TERMINAL_TITLE: '1',
  };
}

/**
 * The command line. The prompt goes through stdin (OpenCode quotes positional words with spaces
 * and escapes their quotes; stdin reaches the model as written). `--title` skips the title
 * request. A resumed run continues `resumeSession`, or the latest session with `continueLast`
 * (an interrupted turn that had not reported its session id yet).
 */
export function opencodeArgs(opts: { model: string; resumeSession?: string | null | undefined; continueLast?: boolean }): string[] {
  return [
    'run',
    '--format',
    'json',
    '-m',
    `${OPENCODE_PROVIDER_ID}/${opts.model}`,
    '--title',
    'cortical',
    '--auto',
    ...(opts.resumeSession ? ['--session', opts.resumeSession] : opts.continueLast === true ? ['--continue'] : []),
  ];
}
