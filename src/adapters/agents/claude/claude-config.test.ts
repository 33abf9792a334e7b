import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claudeArgs, claudeEnv, userMessageLine, writeClaudeSettings } from './claude-config.js';

const base = resolve(import.meta.dirname, '../../../../.test-tmp');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('claude config', () => {
  it('writes user settings that allow editing and commands in the given permission mode', () => {
    mkdirSync(base, { recursive: true });
    const home = mkdtempSync(join(base, 'claude-config-'));
    dirs.push(home);
    const files = writeClaudeSettings(home, 'bypassPermissions');
    expect(files).toEqual([join(home, '.claude/settings.json')]);
    const settings = JSON.parse(readFileSync(files[0]!, 'utf8')) as { permissions: { allow: string[]; defaultMode: string }; autoUpdates: boolean };
    expect(settings.permissions.defaultMode).toBe('bypassPermissions');
    expect(settings.permissions.allow).toEqual(expect.arrayContaining(['Bash', 'Edit', 'Write']));
    expect(settings.autoUpdates).toBe(false);
  });

  it('points the CLI at the endpoint, keeps it offline and sets its retries', () => {
    const env = claudeEnv({ homePath: '/h', endpoint: { baseUrl: 'http://127.0.0.1:9', apiKey: 'sk-x', defaultModel: null }, sandboxed: true, maxRetries: 0 });
    expect(env).toMatchObject({
      HOME: '/h',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      ANTHROPIC_API_KEY: 'sk-x',
      IS_SANDBOX: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      CLAUDE_CODE_MAX_RETRIES: '0',
    });
    const bare = claudeEnv({ homePath: undefined, endpoint: null, sandboxed: false, maxRetries: 2 });
    expect(Object.keys(bare)).not.toEqual(expect.arrayContaining(['HOME']));
    expect(bare.ANTHROPIC_API_KEY).toBeUndefined();
    expect(bare.IS_SANDBOX).toBeUndefined();
  });

  it('builds the stream-json command line, with --resume only for a session', () => {
    const args = claudeArgs({ model: 'claude-opus-4-5', mode: 'acceptEdits', resumeSession: null });
    expect(args.slice(0, 6)).toEqual(['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose']);
    expect(args).toEqual(expect.arrayContaining(['--include-partial-messages', '--replay-user-messages']));
    expect(args.join(' ')).toContain('--model claude-opus-4-5');
    expect(args.join(' ')).toContain('--permission-mode acceptEdits');
    expect(args).not.toContain('--resume');
    expect(claudeArgs({ model: 'm', mode: 'bypassPermissions', resumeSession: 'abc' }).slice(-2)).toEqual(['--resume', 'abc']);
  });

  it('writes one stream-json user message per line', () => {
    expect(userMessageLine('a\nb')).toBe('{"type":"user","message":{"role":"user","content":"a\\nb"}}\n');
  });
});
