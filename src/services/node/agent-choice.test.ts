import { describe, expect, it } from 'vitest';
import { NO_ENDPOINTS } from '../../core/model-endpoints.js';
import { DEFAULT_SANDBOX } from '../../core/sandbox.js';
import { AgentChain, endpointFor, sandboxForAgent } from './agent-choice.js';

const endpoints = {
  ...NO_ENDPOINTS,
  anthropic: { baseUrl: 'http://127.0.0.1:7001', apiKey: 'k', defaultModel: null },
  openai: { baseUrl: 'https://llm.example.com/v1', apiKey: 'k', defaultModel: null },
};

describe('agent choice', () => {
  it('adds exactly the agent endpoint to the sleeve network', () => {
    expect(sandboxForAgent(DEFAULT_SANDBOX, 'claude', endpoints).network).toEqual({ mode: 'allowlist', allow: ['127.0.0.1:7001'] });
    expect(sandboxForAgent(DEFAULT_SANDBOX, 'codex', endpoints).network).toEqual({ mode: 'allowlist', allow: ['llm.example.com:443'] });
    const allow = { ...DEFAULT_SANDBOX, network: { mode: 'allowlist' as const, allow: ['pypi.org:443'] } };
    expect(sandboxForAgent(allow, 'claude', endpoints).network.allow).toEqual(['pypi.org:443', '127.0.0.1:7001']);
    const open = { ...DEFAULT_SANDBOX, network: { mode: 'open' as const, allow: [] } };
    expect(sandboxForAgent(open, 'claude', endpoints)).toBe(open);
    expect(sandboxForAgent(DEFAULT_SANDBOX, 'shell', endpoints)).toBe(DEFAULT_SANDBOX);
    expect(sandboxForAgent(DEFAULT_SANDBOX, 'gemini', endpoints)).toBe(DEFAULT_SANDBOX);
  });

  it('the built-in agent prefers an OpenAI-compatible server, else Anthropic', () => {
    expect(endpointFor('builtin', endpoints)?.baseUrl).toBe('http://127.0.0.1:7001');
    const local = { ...endpoints, openaiCompatible: { baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'none', defaultModel: 'qwen' } };
    expect(endpointFor('builtin', local)?.baseUrl).toBe('http://127.0.0.1:11434/v1');
  });

  it('walks the fallbacks once, without duplicates, and starts over on a resleeve', () => {
    const chain = new AgentChain({ agent: 'claude', model: null }, [
      { agent: 'codex', model: 'gpt-5' },
      { agent: 'claude', model: null },
      { agent: 'gemini', model: null },
    ]);
    expect(chain.current).toEqual({ agent: 'claude', model: null });
    expect(chain.next()).toBe(true);
    expect(chain.current).toEqual({ agent: 'codex', model: 'gpt-5' });
    expect(chain.next()).toBe(true);
    expect(chain.current.agent).toBe('gemini');
    expect(chain.next()).toBe(false);
    expect(chain.fallbackCount).toBe(2);
    expect(chain.reset({ agent: 'claude', model: null })).toBe(false);
    expect(chain.reset({ agent: 'opencode', model: null })).toBe(true);
    expect(chain.current.agent).toBe('opencode');
    expect(chain.fallbackCount).toBe(0);
  });
});
