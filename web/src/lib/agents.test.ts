import { describe, expect, it } from 'vitest';
import { agentVersions, formatAgentVersion, otherCapabilities } from './agents.js';

describe('agentVersions', () => {
  it('derives agents and versions from capabilities', () => {
    const caps = ['linux', 'claude', 'claude-2.1.330', 'codex-0.169.0', 'gemini', 'opencode-1.18.33', 'docker', 'builtin'];
    expect(agentVersions(caps)).toEqual([
      { agent: 'claude', versions: ['2.1.330'] },
      { agent: 'codex', versions: ['0.169.0'] },
      { agent: 'gemini', versions: [] },
      { agent: 'opencode', versions: ['1.18.33'] },
      { agent: 'builtin', versions: [] },
    ]);
    expect(otherCapabilities(caps)).toEqual(['linux', 'docker']);
  });

  it('keeps several versions sorted and ignores look-alikes', () => {
    const caps = ['claude-2.1.330', 'claude-2.0.1', 'claude-code', 'shell', 'aider-0.86.1', 'codexx-1.0', 'gemini-beta'];
    expect(agentVersions(caps)).toEqual([
      { agent: 'claude', versions: ['2.0.1', '2.1.330'] },
      { agent: 'aider', versions: ['0.86.1'] },
    ]);
    expect(otherCapabilities(caps)).toEqual(['claude-code', 'shell', 'codexx-1.0', 'gemini-beta']);
  });

  it('formats an agent with and without versions', () => {
    expect(formatAgentVersion({ agent: 'claude', versions: ['2.1.330'] })).toBe('claude 2.1.330');
    expect(formatAgentVersion({ agent: 'codex', versions: [] })).toBe('codex');
    expect(agentVersions([])).toEqual([]);
  });
});
