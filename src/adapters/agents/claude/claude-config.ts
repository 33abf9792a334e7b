/**
 * Per-run configuration of Claude Code: the user settings file under the sleeve's HOME, the
 * environment (endpoint, offline switches) and the command line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEndpoint } from '../../../core/model-endpoints.js';

export const CLAUDE_DEFAULT_MODEL = 'claude-sonnet-4-5';

/** Tools the agent may use without asking (the permission rules of the settings file). */
const ALLOWED_TOOLS = ['Bash', 'Edit', 'Write', 'MultiEdit', 'NotebookEdit', 'Read', 'Glob', 'Grep', 'LS', 'TodoWrite', 'Task', 'WebFetch', 'WebSearch'];

/**
 * `bypassPermissions` lets Claude Code edit files and run commands without asking; Claude Code
 * refuses it as root unless told it runs in a sandbox (IS_SANDBOX=1). Unsandboxed as root the
 * settings' allow rules with `acceptEdits` are used instead.
 */
export type ClaudePermissionMode = 'bypassPermissions' | 'acceptEdits';

export function claudeSettings(mode: ClaudePermissionMode): Record<string, unknown> {
  return {
    permissions: { allow: ALLOWED_TOOLS, defaultMode: mode },
    autoUpdates: false,
    includeCoAuthoredBy: false,
    cleanupPeriodDays: 1,
  };
}

/** Writes `~/.claude/settings.json` under `homePath`; returns the files written. */
export function writeClaudeSettings(homePath: string, mode: ClaudePermissionMode): string[] {
  const dir = join(homePath, '.claude');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'settings.json');
  writeFileSync(file, `${JSON.stringify(claudeSettings(mode), null, 2)}\n`, { mode: 0o644 });
  return [file];
}

/** Environment for one run on top of the iteration's (endpoint, offline, quick retries). */
export function claudeEnv(opts: {
  homePath: string | undefined;
  endpoint: ModelEndpoint | null;
  sandboxed: boolean;
  maxRetries: number;
}): Record<string, string> {
  return {
    ...(opts.homePath !== undefined ? { HOME: opts.homePath } : {}),
    ...(opts.endpoint !== null ? { ANTHROPIC_BASE_URL: opts.endpoint.baseUrl, ANTHROPIC_API_KEY: opts.endpoint.apiKey } : {}),
    ...(opts.sandboxed ? { IS_SANDBOX: '1' } : {}),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
    DISABLE_INSTALLATION_CHECKS: '1',
    CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY: '1',
    CLAUDE_CODE_DISABLE_TERMINAL_TITLE: '1',
    CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
    CLAUDE_CODE_MAX_RETRIES: String(opts.maxRetries),
  };
}

/** The command line: stream-json in and out, every stdin message echoed (guidance bookkeeping). */
export function claudeArgs(opts: {
  model: string;
  mode: ClaudePermissionMode;
  resumeSession: string | null | undefined;
  /** A settings file loaded on top of the user's (the tool policy hook; see claude-policy-hook.ts). */
  settingsFile?: string | undefined;
}): string[] {
  return [
    '-p',
    '--input-format',
    'stream-json',
    '--output-format',
    'stream-json',
    '--verbose',
    '--include-partial-messages',
    '--replay-user-messages',
    '--model',
    opts.model,
    '--permission-mode',
    opts.mode,
    ...(opts.settingsFile !== undefined ? ['--settings', opts.settingsFile] : []),
    ...(opts.resumeSession ? ['--resume', opts.resumeSession] : []),
  ];
}

/** One stream-json user message line (what `--input-format stream-json` reads). */
export function userMessageLine(text: string): string {
  return `${JSON.stringify({ type: 'user', message: { role: 'user', content: text } })}\n`;
}
