/**
 * Per-run configuration of the Gemini CLI: the user settings file under the sleeve's HOME, the
 * environment (endpoint, key, offline switches) and the command line.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEndpoint } from '../../../core/model-endpoints.js';

export const GEMINI_DEFAULT_MODEL = 'gemini-2.5-flash';

/**
 * `~/.gemini/settings.json`: API-key auth (without it the CLI exits 41 asking to log in), no
 * telemetry, usage statistics, update checks or IDE integration, no session clean-up (Cortical
 * owns the HOME and resumes sessions by id), and `maxAttempts` tries of a failed model request
 * (the CLI's own default is 10, with backoff up to 30 s each).
 */
export function geminiSettings(opts: { maxAttempts: number }): Record<string, unknown> {
  return {
    security: { auth: { selectedType: 'gemini-api-key' } },
    general: {
      enableAutoUpdate: false,
      enableAutoUpdateNotification: false,
      maxAttempts: Math.min(10, Math.max(1, Math.floor(opts.maxAttempts))),
      sessionRetention: { enabled: false },
    },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false, logPrompts: false },
    ide: { enabled: false },
    ui: { hideBanner: true, hideTips: true },
  };
}

/** Writes `~/.gemini/settings.json` under `homePath`; returns the files written. */
export function writeGeminiSettings(homePath: string, opts: { maxAttempts: number }): string[] {
  const dir = join(homePath, '.gemini');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'settings.json');
  writeFileSync(file, `${JSON.stringify(geminiSettings(opts), null, 2)}\n`, { mode: 0o644 });
  return [file];
}

/**
 * Environment for one run on top of the iteration's. `GEMINI_CLI_NO_RELAUNCH` keeps the CLI from
 * starting itself a second time (it relaunches only to raise Node's heap limit).
 */
export function geminiEnv(opts: { homePath: string; endpoint: ModelEndpoint | null }): Record<string, string> {
  return {
    HOME: opts.homePath,
    ...(opts.endpoint !== null ? { GEMINI_API_KEY: opts.endpoint.apiKey, GOOGLE_GEMINI_BASE_URL: opts.endpoint.baseUrl } : {}),
    GEMINI_CLI_NO_RELAUNCH: 'true',
    NO_COLOR: '1',
  };
}

/**
 * The command line: headless, stream-json, every tool approved (`yolo`), the workspace trusted
 * (`--skip-trust`; an untrusted folder makes a headless run exit 55). A new session gets the id
 * Cortical chose (`--session-id`), so it can be resumed (`--resume ID`) with guidance.
 */
export function geminiArgs(opts: { prompt: string; model: string; sessionId: string; resume: boolean }): string[] {
  return [
    `--prompt=${opts.prompt}`,
    '--output-format',
    'stream-json',
    '--approval-mode',
    'yolo',
    '--skip-trust',
    '--model',
    opts.model,
    ...(opts.resume ? ['--resume', opts.sessionId] : ['--session-id', opts.sessionId]),
  ];
}

/**
 * Whether the CLI has stored session `id` under `homePath` (it keeps them as
 * `~/.gemini/tmp/<project>/chats/session-<time>-<first 8 characters of the id>.jsonl`).
 */
export function geminiSessionExists(homePath: string, id: string): boolean {
  if (!/^[0-9a-f-]{8,}$/i.test(id)) return false;
  const suffix = `-${id.slice(0, 8)}.jsonl`;
  const tmp = join(homePath, '.gemini', 'tmp');
  try {
    return readdirSync(tmp).some((project) => {
      try {
        return readdirSync(join(tmp, project, 'chats')).some((f) => f.startsWith('session-') && f.endsWith(suffix));
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
