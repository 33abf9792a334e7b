import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OPENCODE_KEY_VARIABLE, opencodeArgs, opencodeConfig, opencodeEnv, writeOpencodeConfig } from './opencode-config.js';

const ENDPOINT = { baseUrl: 'http://127.0.0.1:9999/v1', apiKey: 'sk-config-SECRET-123456', defaultModel: null };
const base = resolve(import.meta.dirname, '../../../../.test-tmp');
const dirs: string[] = [];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('opencode config', () => {
  it('writes a provider for the endpoint that reads its key from the environment, never from disk', () => {
    mkdirSync(base, { recursive: true });
    const home = mkdtempSync(join(base, 'opencode-config-'));
    dirs.push(home);
    const paths = writeOpencodeConfig(home, { endpoint: ENDPOINT, model: 'gpt-4.1' });
    const dir = join(home, '.config', 'opencode');
    expect(paths).toEqual([dir, join(dir, 'opencode.json')]);
    const text = readFileSync(join(dir, 'opencode.json'), 'utf8');
    expect(text).not.toContain(ENDPOINT.apiKey);
    const cfg = JSON.parse(text) as { provider: Record<string, { npm: string; options: Record<string, string>; models: Record<string, unknown> }>; autoupdate: boolean; share: string; permission: Record<string, string> };
    expect(cfg.provider.local).toMatchObject({ npm: '@ai-sdk/openai-compatible', options: { baseURL: ENDPOINT.baseUrl, apiKey: `{env:${OPENCODE_KEY_VARIABLE}}` } });
    expect(Object.keys(cfg.provider.local?.models ?? {})).toEqual(['gpt-4.1']);
    expect(cfg).toMatchObject({ autoupdate: false, share: 'disabled' });
    expect(cfg.permission['*']).toBe('allow');
    // The stand-ins that keep OpenCode from installing its plugin package from npm.
    expect(existsSync(join(dir, 'node_modules'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))).toMatchObject({ packages: { '': { dependencies: { '@opencode-ai/plugin': expect.any(String) } } } });
    expect(existsSync(join(dir, '.gitignore'))).toBe(true);
  });

  it('puts the key and the offline switches into the environment', () => {
    const env = opencodeEnv({ homePath: '/h', endpoint: ENDPOINT });
    expect(env).toMatchObject({ HOME: '/h', [OPENCODE_KEY_VARIABLE]: ENDPOINT.apiKey, OPENCODE_DISABLE_AUTOUPDATE: '1', OPENCODE_DISABLE_MODELS_FETCH: '1' });
    expect(opencodeEnv({ homePath: undefined, endpoint: null })[OPENCODE_KEY_VARIABLE]).toBe('none');
  });

  it('runs json output with the local provider, resuming a session or the latest one', () => {
    expect(opencodeArgs({ model: 'gpt-4.1' })).toEqual(['run', '--format', 'json', '-m', 'local/gpt-4.1', '--title', 'cortical', '--auto']);
    expect(opencodeArgs({ model: 'm', resumeSession: 'ses_1' }).slice(-2)).toEqual(['--session', 'ses_1']);
    expect(opencodeArgs({ model: 'm', continueLast: true }).at(-1)).toBe('--continue');
    expect(opencodeConfig({ endpoint: null, model: 'm' })).not.toHaveProperty('provider.local.options.baseURL');
  });
});
