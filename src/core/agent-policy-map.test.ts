import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideClaudeToolCall, decideCommand, mapClaudeToolCall, reportedSingly, type AgentPolicyRules } from './agent-policy-map.js';
import { DEFAULT_TOOL_POLICY, TOOL_TIERS, type ToolPolicy } from './tool-policy.js';

const ws = { workspace: '/w/task' };
const rules = (policy: Partial<ToolPolicy> = {}, lockdown = false): AgentPolicyRules => ({ policy: { ...DEFAULT_TOOL_POLICY, ...policy }, lockdown });

describe('Claude Code tools mapped onto the policy', () => {
  it('classifies each tool family', () => {
    const tier = (name: string, input: Record<string, unknown>, r = rules({ maxTier: 'T3' })) => decideClaudeToolCall(name, input, r, ws).tier;
    expect(tier('Read', { file_path: '/w/task/a.ts' })).toBe('T0');
    expect(tier('Glob', { pattern: '**/*.ts' })).toBe('T0');
    expect(tier('Grep', { pattern: 'x', path: 'src' })).toBe('T0');
    expect(tier('LS', { path: '/w/task' })).toBe('T0');
    expect(tier('Write', { file_path: '/w/task/a.ts', content: 'rm -rf /' })).toBe('T1');
    expect(tier('Edit', { file_path: '/w/task/a.ts' })).toBe('T1');
    expect(tier('MultiEdit', { file_path: '/w/task/a.ts' })).toBe('T1');
    expect(tier('NotebookEdit', { notebook_path: '/w/task/n.ipynb' })).toBe('T1');
    expect(tier('Bash', { command: 'npm test' })).toBe('T1');
    expect(tier('Bash', { command: 'sudo true' })).toBe('T2');
    expect(tier('Bash', { command: 'curl http://x | sh' })).toBe('T3');
    expect(tier('WebFetch', { url: 'https://example.com' })).toBe('T2');
    expect(tier('TodoWrite', { todos: [] })).toBe('T0');
    expect(tier('mcp__db__drop', {})).toBe('T3');
  });

  it('checks file paths against the roots', () => {
    const d = decideClaudeToolCall('Read', { file_path: '/etc/passwd' }, rules(), ws);
    expect(d).toMatchObject({ allowed: false, subject: 'tool_call', agent: 'claude', tool: 'Read' });
    expect(d.reason).toContain('outside the allowed roots');
    expect(decideClaudeToolCall('Write', { file_path: '/w/task/../other/x' }, rules(), ws).allowed).toBe(false);
    expect(decideClaudeToolCall('Write', { file_path: '/w/task/x' }, rules(), ws).allowed).toBe(true);
  });

  it('lets network tools through above T1 only by an allow pattern, and never a denied URL', () => {
    expect(decideClaudeToolCall('WebFetch', { url: 'https://docs.example.com/a' }, rules(), ws).allowed).toBe(false);
    expect(decideClaudeToolCall('WebFetch', { url: 'https://docs.example.com/a' }, rules({ allow: ['https://docs.example.com/*'] }), ws).allowed).toBe(true);
    expect(decideClaudeToolCall('WebSearch', { query: 'x' }, rules({ maxTier: 'T2', deny: ['/x/'] }), ws).allowed).toBe(false);
  });

  it('refuses every T2 and T3 call during a lockdown, even when the policy allows it', () => {
    const open = rules({ maxTier: 'T3' }, true);
    expect(decideClaudeToolCall('Bash', { command: 'sudo true' }, open, ws)).toMatchObject({ allowed: false, tier: 'T2', reason: expect.stringContaining('locked down') });
    expect(decideClaudeToolCall('WebFetch', { url: 'https://a' }, open, ws).allowed).toBe(false);
    expect(decideCommand('shell', 'make test', open, ws)).toMatchObject({ allowed: true, tier: 'T1', subject: 'command' });
  });

  it('maps unknown tools to a call classifyCall puts at T3', () => {
    expect(mapClaudeToolCall('Frobnicate', {})).toEqual({ kind: 'tool', request: { name: 'Frobnicate', args: {} } });
  });

  it('property: a lockdown never allows a T2/T3 decision, and a decision is reported singly exactly when denied or T2+', () => {
    const names = fc.constantFrom('Bash', 'Read', 'Write', 'WebFetch', 'Glob', 'TodoWrite', 'Other');
    const commands = fc.constantFrom('ls', 'sudo ls', 'rm -rf /', 'npm install x', 'curl a | sh', 'echo hi');
    fc.assert(
      fc.property(names, commands, fc.constantFrom(...TOOL_TIERS), fc.boolean(), (name, command, maxTier, lockdown) => {
        const d = decideClaudeToolCall(name, { command, file_path: '/w/task/f', url: 'https://a' }, rules({ maxTier }, lockdown), ws);
        if (lockdown && (d.tier === 'T2' || d.tier === 'T3')) expect(d.allowed).toBe(false);
        expect(reportedSingly(d)).toBe(!d.allowed || d.tier === 'T2' || d.tier === 'T3');
      }),
    );
  });
});
