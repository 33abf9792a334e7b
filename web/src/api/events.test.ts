import { afterEach, describe, expect, it } from 'vitest';
import { getToken, setToken } from './client.js';
import { backoffMs, eventFromFrame, eventsUrl, SeqGate, subscribeEvents, type StreamDeps, type StreamStatus } from './events.js';
import type { StoredEventDto } from './types.js';

function frame(seq: number, type = 'task.created'): string {
  return `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ seq, at: 1000 + seq, type, taskId: 't1', nodeId: null, data: { n: seq } })}\n\n`;
}

/** A response whose body streams the given chunks and then ends. */
function sseResponse(chunks: string[]): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(enc.encode(c));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

interface Call {
  url: string;
  headers: Record<string, string>;
}

/** Stubbed fetch and sleep: each connection gets the next scripted answer; sleeps are recorded, not waited. */
function streamStub(answers: (() => Response)[]) {
  const calls: Call[] = [];
  const sleeps: number[] = [];
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const deps: StreamDeps = {
    fetch: (input, init) => {
      calls.push({ url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, headers: { ...(init?.headers as Record<string, string>) } });
      const next = answers.shift();
      if (next === undefined) {
        done();
        return new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new Error('aborted')));
        });
      }
      return Promise.resolve(next());
    },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  };
  return { deps, calls, sleeps, finished };
}

afterEach(() => sessionStorage.clear());

describe('SeqGate', () => {
  it('accepts increasing seqs only', () => {
    const g = new SeqGate(5);
    expect([5, 6, 6, 4, 8, 7, 9].map((s) => g.accept(s))).toEqual([false, true, false, false, true, false, true]);
    expect(g.lastSeq).toBe(9);
  });
});

describe('eventFromFrame and eventsUrl', () => {
  it('reads the event from data, falling back to the frame id and event name', () => {
    expect(eventFromFrame({ id: '4', event: 'x.y', data: '{"data":{"a":1}}' })).toEqual({
      seq: 4, at: 0, type: 'x.y', taskId: null, nodeId: null, data: { a: 1 },
    });
    expect(eventFromFrame({ id: undefined, event: 'message', data: 'not json' })).toBeNull();
    expect(eventFromFrame({ id: undefined, event: 'message', data: '{"type":"no seq"}' })).toBeNull();
  });

  it('builds the stream URL', () => {
    expect(eventsUrl(undefined, 0)).toBe('/api/v1/events?follow=true');
    expect(eventsUrl('task_1', 12)).toBe('/api/v1/events?follow=true&after=12&task=task_1');
  });

  it('backs off exponentially up to 15 s', () => {
    expect([0, 1, 2, 3, 10, 30].map(backoffMs)).toEqual([500, 1000, 2000, 4000, 15_000, 15_000]);
  });
});

describe('subscribeEvents', () => {
  it('delivers events once across reconnects and resumes with Last-Event-ID', async () => {
    setToken('tok_1.secret');
    const stub = streamStub([
      () => sseResponse([': connected\n\n', frame(1), frame(2).slice(0, 20), frame(2).slice(20)]),
      // The server replays 2 (and an old 1) after the reconnect: neither is delivered again.
      () => sseResponse([frame(1), frame(2), frame(3)]),
      () => new Response('{"error":{"code":"INTERNAL","message":"x"}}', { status: 500 }),
      () => sseResponse([frame(3), frame(4, 'task.finished')]),
    ]);
    const got: StoredEventDto[] = [];
    const statuses: StreamStatus[] = [];
    const stop = subscribeEvents({ taskId: 't1', onEvent: (e) => got.push(e), onStatus: (s) => statuses.push(s) }, stub.deps);
    await stub.finished;
    stop();
    expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(got[3]).toEqual({ seq: 4, at: 1004, type: 'task.finished', taskId: 't1', nodeId: null, data: { n: 4 } });
    expect(stub.calls.map((c) => c.headers['last-event-id'])).toEqual([undefined, '2', '3', '3', '4']);
    expect(stub.calls[1]!.url).toBe('/api/v1/events?follow=true&after=2&task=t1');
    expect(stub.calls.every((c) => c.headers.authorization === 'Bearer tok_1.secret')).toBe(true);
    // Connections that delivered something reset the back-off; the failed one grows it.
    expect(stub.sleeps).toEqual([500, 500, 1000, 500]);
    expect(statuses[0]).toBe('connecting');
    expect(statuses).toContain('open');
    expect(statuses).toContain('reconnecting');
  });

  it('starts after the given seq', async () => {
    const stub = streamStub([() => sseResponse([frame(5), frame(6), frame(7)])]);
    const got: number[] = [];
    const stop = subscribeEvents({ after: 6, onEvent: (e) => got.push(e.seq) }, stub.deps);
    await stub.finished;
    stop();
    expect(got).toEqual([7]);
    expect(stub.calls[0]!.headers['last-event-id']).toBe('6');
  });

  it('stops and clears the token on 401', async () => {
    setToken('tok_bad.x');
    const stub = streamStub([() => new Response('{"error":{"code":"UNAUTHENTICATED","message":"no"}}', { status: 401 })]);
    subscribeEvents({ onEvent: () => undefined }, stub.deps);
    await new Promise((r) => setTimeout(r, 20));
    expect(stub.calls).toHaveLength(1);
    expect(getToken()).toBeNull();
  });

  it('makes no further request after unsubscribe', async () => {
    const stub = streamStub([() => sseResponse([frame(1)])]);
    const got: number[] = [];
    const stop = subscribeEvents({ onEvent: (e) => got.push(e.seq) }, stub.deps);
    await stub.finished;
    const n = stub.calls.length;
    stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(stub.calls).toHaveLength(n);
    expect(got).toEqual([1]);
  });
});
