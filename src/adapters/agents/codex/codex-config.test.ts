import { describe, expect, it } from 'vitest';
import { CODEX_KEY_VARIABLE, codexConfigToml, tomlString } from './codex-config.js';

describe('codex config.toml', () => {
  it('escapes TOML basic strings', () => {
    expect(tomlString('plain')).toBe('"plain"');
    expect(tomlString('a"b\\c\nd\te\u0001')).toBe('"a\\"b\\\\c\\nd\\te\\u0001"');
  });

  it('points a responses provider at the endpoint, takes the key from the environment and turns off what phones home', () => {
    const toml = codexConfigToml({ baseUrl: 'http://127.0.0.1:9/v1', sandboxMode: 'danger-full-access', requestMaxRetries: 0, streamMaxRetries: 1.7, streamIdleTimeoutMs: 5000 });
    const lines = toml.split('\n');
    for (const expected of [
      'model_provider = "cortical"',
      'approval_policy = "never"',
      'sandbox_mode = "danger-full-access"',
      'check_for_update_on_startup = false',
      'web_search = "disabled"',
      '[features]',
      'plugins = false',
      'remote_plugin = false',
      'unbounded_connection_retries = false',
      '[model_providers.cortical]',
      'base_url = "http://127.0.0.1:9/v1"',
      `env_key = "${CODEX_KEY_VARIABLE}"`,
      'wire_api = "responses"',
      'request_max_retries = 0',
      'stream_max_retries = 1',
      'stream_idle_timeout_ms = 5000',
      `exclude = ["${CODEX_KEY_VARIABLE}"]`,
    ]) {
      expect(lines).toContain(expected);
    }
    expect(toml.match(/^enabled = false$/gm)).toHaveLength(2);
    expect(toml).not.toMatch(/sk-|api_key\s*=/);
  });
});
