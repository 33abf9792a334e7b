import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { geminiArgs, geminiEnv, geminiSessionExists, writeGeminiSettings } from './gemini-config.js';

const base = resolve(import.meta.dirname, '../../../../.test-tmp');
mkdirSync(base, { recursive: true });
const root = mkdtempSync(join(base, 'gemini-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('gemini config', () => {
  it('writes settings with API-key auth, no telemetry, statistics, updates or IDE, and bounded retries', () => {
    const [file] = writeGeminiSettings(join(root, 'home'), { maxAttempts: 25 });
    expect(file).toBe(join(root, 'home', '.gemini', 'settings.json'));
    const s = JSON.parse(readFileSync(file!, 'utf8')) as Record<string, Record<string, unknown>>;
    expect(s.security).toEqual({ auth: { selectedType: 'gemini-api-key' } });
    expect(s.general).toMatchObject({ enableAutoUpdate: false, enableAutoUpdateNotification: false, maxAttempts: 10, sessionRetention: { enabled: false } });
    expect(s.privacy).toEqual({ usageStatisticsEnabled: false });
    expect(s.telemetry).toMatchObject({ enabled: false });
    expect(s.ide).toEqual({ enabled: false });
  });

  it('puts the endpoint and key in the environment only when an endpoint is configured', () => {
    expect(geminiEnv({ homePath: '/h', endpoint: { baseUrl: 'http://127.0.0.1:9', apiKey: 'k', defaultModel: null } })).toMatchObject({
      HOME: '/h',
      GEMINI_API_KEY: 'k',
      GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:9',
      GEMINI_CLI_NO_RELAUNCH: 'true',
    });
    expect(geminiEnv({ homePath: '/h', endpoint: null })).not.toHaveProperty('GEMINI_API_KEY');
  });

  it('starts a new session with the chosen id and resumes one by id; a prompt starting with a dash stays the prompt', () => {
    const fresh = geminiArgs({ prompt: '--help me', model: 'gemini-2.5-pro', sessionId: 'id-1', resume: false });
    expect(fresh).toEqual(['--prompt=--help me', '--output-format', 'stream-json', '--approval-mode', 'yolo', '--skip-trust', '--model', 'gemini-2.5-pro', '--session-id', 'id-1']);
    expect(geminiArgs({ prompt: 'go on', model: 'm', sessionId: 'id-1', resume: true }).slice(-2)).toEqual(['--resume', 'id-1']);
  });

  it('finds a stored session by the first 8 characters of its id', () => {
    const home = join(root, 'sessions');
    const chats = join(home, '.gemini', 'tmp', 'ws-1', 'chats');
    mkdirSync(chats, { recursive: true });
    writeFileSync(join(chats, 'session-2026-11-21T18-59-aaaaaaaa.jsonl'), '{}\n');
    expect(geminiSessionExists(home, 'aaaaaaaa-2222-4333-8444-555555555555')).toBe(true);
    expect(geminiSessionExists(home, 'bbbbbbbb-2222-4333-8444-555555555555')).toBe(false);
    expect(geminiSessionExists(home, '../../etc')).toBe(false);
    expect(geminiSessionExists(join(root, 'nowhere'), 'aaaaaaaa-2222-4333-8444-555555555555')).toBe(false);
  });
});
