import { describe, expect, it } from 'vitest';
import { CHAT_STORAGE_KEY, guardrailLines, loadConversation, nextId, saveConversation, type ChatMessage } from './chat-model.js';

describe('chat model', () => {
  it('saves and loads the conversation; ignores unreadable or foreign entries', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const messages: ChatMessage[] = [{ id: 1, role: 'user', text: 'hi', at: 1 }, { id: 2, role: 'error', text: 'no', at: 2 }];
    saveConversation(storage, messages);
    expect(loadConversation(storage)).toEqual(messages);
    store.set(CHAT_STORAGE_KEY, JSON.stringify([{ id: 1, role: 'user', text: 'ok', at: 1 }, { role: 'evil' }, 5]));
    expect(loadConversation(storage)).toEqual([{ id: 1, role: 'user', text: 'ok', at: 1 }]);
    store.set(CHAT_STORAGE_KEY, '{not json');
    expect(loadConversation(storage)).toEqual([]);
    expect(loadConversation(null)).toEqual([]);
  });

  it('numbers messages after the highest id', () => {
    expect(nextId([])).toBe(1);
    expect(nextId([{ id: 7, role: 'user', text: '', at: 0 }])).toBe(8);
  });

  it('describes guardrails in words', () => {
    expect(guardrailLines({ maxIterations: 1, budgetUsd: null, budgetTokens: 20000, timeoutMs: 7_200_000 })).toEqual([
      'at most 1 iteration',
      'dollars: no limit',
      'at most 20,000 tokens',
      'at most 2 h',
    ]);
  });
});
