import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../services/hq/hq-test-harness.js';
import { call } from './api-test-client.js';
import { createApiApp } from './create-api-app.js';

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
}

function parseSse(text: string): SseMessage[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').filter((l) => l !== '' && !l.startsWith(':')))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const m: SseMessage = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        const key = line.slice(0, i) as keyof SseMessage;
        m[key] = line.slice(i + 1).trimStart();
      }
      return m;
    });
}

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;
beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  app = createApiApp(h.hq);
});
afterEach(async () => {
  await h.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  call(app, 'GET', path, { token: h.adminToken, headers });

describe('GET /api/v1/events (Server-Sent Events)', () => {
  it('sends what exists with id, event and data, and resumes after a sequence number', async () => {
    const a = await h.submit({ prompt: 'a' });
    const b = await h.submit({ prompt: 'b' });
    await h.hq.controls.guide(a.id, 'hint', 'test');

    const all = await get('/api/v1/events?follow=false');
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toContain('text/event-stream');
    const msgs = parseSse(all.text);
    const events = msgs.map((m) => JSON.parse(m.data!) as { seq: number; type: string; taskId: string | null });
    expect(events.length).toBeGreaterThanOrEqual(3);
    for (const [i, m] of msgs.entries()) {
      expect(m.id).toBe(String(events[i]!.seq));
      expect(m.event).toBe(events[i]!.type);
    }
    const seqs = events.map((e) => e.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);

    const pivot = seqs[1]!;
    const viaQuery = parseSse((await get(`/api/v1/events?follow=false&after=${pivot}`)).text);
    expect(viaQuery.map((m) => Number(m.id))).toEqual(seqs.filter((s) => s > pivot));
    const viaHeader = parseSse((await get('/api/v1/events?follow=false&after=0', { 'last-event-id': String(pivot) })).text);
    expect(viaHeader.map((m) => Number(m.id))).toEqual(seqs.filter((s) => s > pivot));

    const onlyB = parseSse((await get(`/api/v1/events?follow=false&task=${b.id}`)).text);
    expect(onlyB.length).toBeGreaterThan(0);
    expect(onlyB.every((m) => (JSON.parse(m.data!) as { taskId: string }).taskId === b.id)).toBe(true);
  });

  it('rejects bad resume positions and unknown parameters with 400', async () => {
    expect((await get('/api/v1/events?after=-3')).status).toBe(400);
    expect((await get('/api/v1/events?follow=maybe')).status).toBe(400);
    expect((await get('/api/v1/events?colour=red')).status).toBe(400);
    const badHeader = await get('/api/v1/events', { 'last-event-id': 'abc' });
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('follows new events live until the client disconnects', async () => {
    const first = await h.submit({ prompt: 'first' });
    const res = await app.request('/api/v1/events', { headers: { authorization: `Bearer ${h.adminToken}` } });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (pred: (t: string) => boolean): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!pred(text)) {
        if (Date.now() > deadline) throw new Error(`timed out; got: ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil((t) => t.includes(first.id));
    const second = await h.submit({ prompt: 'second' });
    await readUntil((t) => t.includes(second.id));
    const msgs = parseSse(text);
    expect(msgs.map((m) => m.event)).toContain('task.created');
    await reader.cancel();
  });
});
