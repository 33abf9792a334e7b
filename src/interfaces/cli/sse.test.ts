import { describe, expect, it } from 'vitest';
import { SseParser, readSse } from './sse.js';

describe('SseParser', () => {
  it('parses messages split across chunks, CRLF, comments and multi-line data', () => {
    const p = new SseParser();
    const got = [
      ...p.push(': keep-alive\n\nid: 7\nevent: task.sta'),
      ...p.push('rted\ndata: {"a":1}\r'),
      ...p.push('\n\r\ndata: line1\ndata: line2\n\n'),
      ...p.push('retry: 1000\n\n'),
    ];
    expect(got).toEqual([
      { id: '7', event: 'task.started', data: '{"a":1}' },
      { id: null, event: 'message', data: 'line1\nline2' },
    ]);
  });

  it('drops an unterminated message at the end of the stream', async () => {
    const body = new Response('id: 1\ndata: x\n\nid: 2\ndata: partial').body!;
    const got = [];
    for await (const m of readSse(body)) got.push(m);
    expect(got).toEqual([{ id: '1', event: 'message', data: 'x' }]);
  });
});
