import { describe, expect, it } from 'vitest';
import { describeEndpoints, endpointHostPort, endpointHosts, endpointsFromEnv, redactKeys } from './model-endpoints.js';

describe('model endpoints', () => {
  it('reads the usual provider variables; a base URL alone (local server) or a key alone counts', () => {
    const e = endpointsFromEnv({
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:8080/',
      ANTHROPIC_API_KEY: 'sk-ant-123456789',
      OPENAI_API_KEY: 'sk-openai-123456789',
      GOOGLE_GEMINI_BASE_URL: ' ',
      CORTICAL_LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
      CORTICAL_LLM_MODEL: 'qwen2.5-coder',
    });
    expect(e.anthropic).toEqual({ baseUrl: 'http://127.0.0.1:8080', apiKey: 'sk-ant-123456789', defaultModel: null });
    expect(e.openai).toEqual({ baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-openai-123456789', defaultModel: null });
    expect(e.gemini).toBeNull();
    expect(e.openaiCompatible).toEqual({ baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'none', defaultModel: 'qwen2.5-coder' });
    expect(endpointHosts(e)).toEqual(['127.0.0.1:8080', 'api.openai.com:443', '127.0.0.1:11434']);
  });

  it('never shows keys: the safe view and redaction', () => {
    const e = endpointsFromEnv({ ANTHROPIC_API_KEY: 'sk-ant-SECRET-123456' });
    expect(JSON.stringify(describeEndpoints(e))).not.toContain('SECRET');
    expect(describeEndpoints(e).anthropic).toEqual({ baseUrl: 'https://api.anthropic.com', defaultModel: null, key: 'set' });
    expect(redactKeys('auth: Bearer sk-ant-SECRET-123456 failed', e)).toBe('auth: Bearer [redacted] failed');
  });

  it('host:port of a URL with default ports filled in', () => {
    expect(endpointHostPort('https://API.example.com/v1')).toBe('api.example.com:443');
    expect(endpointHostPort('http://[::1]:9000')).toBe('[::1]:9000');
    expect(endpointHostPort('not a url')).toBeNull();
  });
});
