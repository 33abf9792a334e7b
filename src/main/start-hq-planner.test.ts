import { describe, expect, it } from 'vitest';
import type { Logger } from '../core/ports/logger.js';
import { llmPlannerFromEnv } from './start-hq.js';

function capture(): { logger: Logger; lines: { level: string; obj: Readonly<Record<string, unknown>>; msg: string }[] } {
  const lines: { level: string; obj: Readonly<Record<string, unknown>>; msg: string }[] = [];
  const logger: Logger = {
    debug: (obj, msg) => void lines.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => void lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => void lines.push({ level: 'error', obj, msg }),
    child: () => logger,
  };
  return { logger, lines };
}

describe('the request planner from CORTICAL_LLM_* settings', () => {
  it('LLM mode with a base URL and a model; the key is never logged', () => {
    const { logger, lines } = capture();
    const p = llmPlannerFromEnv({ CORTICAL_LLM_BASE_URL: 'http://127.0.0.1:11434/v1/', CORTICAL_LLM_MODEL: 'qwen2.5-coder:7b', CORTICAL_LLM_API_KEY: 'sk-very-secret-key' }, logger);
    expect(p?.model).toBe('qwen2.5-coder:7b');
    expect(lines).toEqual([{ level: 'info', obj: { baseUrl: 'http://127.0.0.1:11434/v1', model: 'qwen2.5-coder:7b', key: 'set' }, msg: 'request planner: LLM mode' }]);
    expect(JSON.stringify(lines)).not.toContain('sk-very-secret-key');
  });

  it('rules only: nothing configured, no model (warned), or CORTICAL_PLANNER=rules', () => {
    const { logger, lines } = capture();
    expect(llmPlannerFromEnv({}, logger)).toBeNull();
    expect(llmPlannerFromEnv({ CORTICAL_LLM_BASE_URL: 'http://127.0.0.1:8000/v1' }, logger)).toBeNull();
    expect(lines.map((l) => l.level)).toEqual(['warn']);
    expect(llmPlannerFromEnv({ CORTICAL_LLM_BASE_URL: 'http://x/v1', CORTICAL_LLM_MODEL: 'm', CORTICAL_PLANNER: 'rules' }, logger)).toBeNull();
  });
});
