import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser } from './builtin-sse.js';

const STREAM = 'event: message_start\ndata: {"a":1}\n\n: a comment\ndata: line one\ndata: line two\n\nevent: ping\r\ndata:no-space\r\n\r\ndata: [DONE]\n\n';
const EXPECTED = [
  { event: 'message_start', data: '{"a":1}' },
  { event: null, data: 'line one\nline two' },
  { event: 'ping', data: 'no-space' },
  { event: null, data: '[DONE]' },
];

describe('SseParser', () => {
  it('parses named and unnamed events, multi-line data, comments and CRLF', () => {
    const p = new SseParser();
    expect([...p.feed(STREAM), ...p.end()]).toEqual(EXPECTED);
  });

  it('gives the same events however the stream is cut into chunks (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 20 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const p = new SseParser();
        const out = [];
        let at = 0;
        for (const c of [...points, STREAM.length]) {
          out.push(...p.feed(STREAM.slice(at, c)));
          at = c;
        }
        out.push(...p.end());
        expect(out).toEqual(EXPECTED);
      }),
    );
  });

  it('end() flushes an event without a trailing blank line; an event without data is dropped', () => {
    const p = new SseParser();
    expect(p.feed('event: x\n\ndata: tail')).toEqual([]);
    expect(p.end()).toEqual([{ event: null, data: 'tail' }]);
  });
});
