/**
 * The per-run `$CODEX_HOME/config.toml` of the Codex CLI: a custom model provider pointed at the
 * node's OpenAI endpoint (the key comes from an environment variable, never the file), no
 * approvals, Codex's own sandbox mode, and everything that would phone home switched off. Every
 * key here is accepted by `codex exec --strict-config` (0.169.0).
 */

/** The environment variable Codex reads the endpoint key from (`env_key` of the provider). */
export const CODEX_KEY_VARIABLE = 'CORTICAL_CODEX_API_KEY';

/** The provider id in config.toml. */
export const CODEX_PROVIDER_ID = 'cortical';

/** Codex's own sandbox for the commands the model runs (the sleeve is the real boundary). */
export type CodexSandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access';

export interface CodexConfigOptions {
  /** The Responses API base URL, `/v1` included (Codex appends `/responses`). */
  readonly baseUrl: string;
  readonly sandboxMode: CodexSandboxMode;
  /** Retries of a failed request (429, 5xx) before the turn fails. */
  readonly requestMaxRetries: number;
  /** Reconnects of a dropped response stream before the turn fails. */
  readonly streamMaxRetries: number;
  /** How long a response stream may stay silent before Codex gives up on it. */
  readonly streamIdleTimeoutMs: number;
}

/** A TOML basic string (quotes, backslashes and control characters escaped). */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function int(n: number): string {
  return String(Math.max(0, Math.floor(n)));
}

/** The config.toml text. */
export function codexConfigToml(opts: CodexConfigOptions): string {
  return [
    '# Written by Cortical for one iteration; read-only inside the sleeve.',
    `model_provider = ${tomlString(CODEX_PROVIDER_ID)}`,
    'approval_policy = "never"',
    `sandbox_mode = ${tomlString(opts.sandboxMode)}`,
    'check_for_update_on_startup = false',
    'web_search = "disabled"',
    '',
    // plugins / remote_plugin: a plugin sync that calls github.com, api.github.com and chatgpt.com
    // on every start. unbounded_connection_retries: without this, an endpoint that cannot be
    // reached makes Codex wait for the network forever ("Reconnecting... waiting for network").
    '[features]',
    'plugins = false',
    'remote_plugin = false',
    'unbounded_connection_retries = false',
    '',
    '[sandbox_workspace_write]',
    'network_access = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[feedback]',
    'enabled = false',
    '',
    '[history]',
    'persistence = "none"',
    '',
    '[otel]',
    'exporter = "none"',
    'log_user_prompt = false',
    '',
    '[shell_environment_policy]',
    `exclude = [${tomlString(CODEX_KEY_VARIABLE)}]`,
    '',
    `[model_providers.${CODEX_PROVIDER_ID}]`,
    'name = "Cortical endpoint"',
    `base_url = ${tomlString(opts.baseUrl)}`,
    `env_key = ${tomlString(CODEX_KEY_VARIABLE)}`,
    'wire_api = "responses"',
    `request_max_retries = ${int(opts.requestMaxRetries)}`,
    `stream_max_retries = ${int(opts.streamMaxRetries)}`,
    `stream_idle_timeout_ms = ${int(opts.streamIdleTimeoutMs)}`,
    '',
  ].join('\n');
}
