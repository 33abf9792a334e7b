import { describe, expect, it } from 'vitest';
import type { AgentDriver } from '../core/ports/agent-driver.js';
import { NO_ENDPOINTS } from '../core/model-endpoints.js';
import { capabilityOf, discoverAgents, versionNumber } from './agent-discovery.js';

/** A driver stub whose CLI reports `version` (null: not installed; an Error: the check breaks). */
const stub = (name: string, version: string | null | Error): AgentDriver => ({
  name,
  guidance: 'next_iteration',
  detect: () => (version instanceof Error ? Promise.reject(version) : Promise.resolve(version === null ? null : { version })),
  startIteration: () => Promise.reject(new Error('not in this test')),
});

describe('agent discovery', () => {
  it('advertises installed agents and their versions; missing or broken CLIs are left out', async () => {
    const shell: AgentDriver = { name: 'shell', guidance: 'next_iteration', startIteration: () => Promise.reject(new Error('x')) };
    const all = new Map<string, AgentDriver>([
      ['shell', shell],
      ['claude', stub('claude', '2.1.330 (Claude Code)')],
      ['codex', stub('codex', 'codex-cli 0.169.0')],
      ['gemini', stub('gemini', null)],
      ['opencode', stub('opencode', new Error('boom'))],
    ]);
    const endpoints = { ...NO_ENDPOINTS, openai: { baseUrl: 'http://x/v1', apiKey: 'k', defaultModel: 'GPT-5 Mini' } };
    const found = await discoverAgents(all, {}, endpoints);
    expect([...found.drivers.keys()]).toEqual(['shell', 'claude', 'codex']);
    expect(found.versions).toEqual({ shell: '', claude: '2.1.330', codex: '0.169.0' });
    expect(found.capabilities).toEqual(['shell', 'claude', 'claude-2.1.330', 'codex', 'codex-0.169.0', 'model-gpt-5-mini']);
  });

  it('makes valid capability names out of free text', () => {
    expect(capabilityOf('model-Qwen2.5-Coder:32B')).toBe('model-qwen2.5-coder-32b');
    expect(capabilityOf('--')).toBeNull();
    expect(versionNumber('gemini 0.61.0\n')).toBe('0.61.0');
  });
});

describe('agent discovery: usable agents only', () => {
  it('leaves out agents the node cannot serve (no model endpoint), whatever their CLI says', async () => {
    const all = new Map<string, AgentDriver>([
      ['claude', stub('claude', '2.1.330')],
      ['codex', stub('codex', '0.169.0')],
    ]);
    const found = await discoverAgents(all, {}, NO_ENDPOINTS, (name) => name === 'codex');
    expect([...found.drivers.keys()]).toEqual(['codex']);
    expect(found.capabilities).toEqual(['codex', 'codex-0.169.0']);
  });
});
