import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('parses id, event and data of a frame', () => {
    const p = new SseParser();
    const frames = p.push('id: 7\nevent: task.created\ndata: {"seq":7}\n\n');
    expect(frames).toEqual([{ id: '7', event: 'task.created', data: '{"seq":7}' }]);
  });

  it('completes frames split across chunks at any point', () => {
    const text = 'id: 1\nevent: a\ndata: {"x":1}\n\nid: 2\nevent: b\ndata: {"x":2}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const frames = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(frames.map((f) => f.id)).toEqual(['1', '2']);
      expect(frames.map((f) => f.data)).toEqual(['{"x":1}', '{"x":2}']);
    }
  });

  it('accepts CRLF and CR line ends, including a CRLF split between chunks', () => {
    const p = new SseParser();
    const frames = [...p.push('id: 3\r\ndata: a\r'), ...p.push('\n\r\n'), ...p.push('id: 4\rdata: b\r\r'), ...p.push(': next')];
    expect(frames).toEqual([
      { id: '3', event: 'message', data: 'a' },
      { id: '4', event: 'message', data: 'b' },
    ]);
  });

  it('ignores comments and keep-alives, joins multi-line data, keeps a value without the space', () => {
    const p = new SseParser();
    const frames = p.push(': connected\n\n: keep-alive\n\ndata:line1\ndata: line2\nretry: 100\nunknown: x\n\n');
    expect(frames).toEqual([{ id: undefined, event: 'message', data: 'line1\nline2' }]);
  });

  it('does not dispatch a frame without data and resets fields between frames', () => {
    const p = new SseParser();
    expect(p.push('id: 9\nevent: x\n\n')).toEqual([]);
    expect(p.push('data: y\n\n')).toEqual([{ id: undefined, event: 'message', data: 'y' }]);
  });
});
