/**
 * A small Server-Sent Events parser: feed it text as it arrives, get complete events back.
 * Handles `\n`, `\r\n` and `\r` line ends, multi-line `data:`, comments and chunk boundaries
 * anywhere (inside a line or a CRLF).
 */

export interface SseEvent {
  /** The `event:` field; null when the event named none. */
  readonly event: string | null;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
}

export class SseParser {
  private buffer = '';
  private event: string | null = null;
  private data: string[] = [];
  private hasData = false;

  /** Events completed by `chunk`. */
  feed(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (m === null) break;
      // A lone \r at the very end may be the first half of a \r\n: wait for more.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const done = this.line(line);
      if (done !== null) out.push(done);
    }
    return out;
  }

  /** The last event when the stream ended without a blank line after it. */
  end(): SseEvent[] {
    const rest = this.buffer;
    this.buffer = '';
    const out: SseEvent[] = [];
    if (rest !== '') {
      const done = this.line(rest);
      if (done !== null) out.push(done);
    }
    const last = this.line('');
    if (last !== null) out.push(last);
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === '') {
      if (!this.hasData) {
        this.event = null;
        return null;
      }
      const ev = { event: this.event, data: this.data.join('\n') };
      this.event = null;
      this.data = [];
      this.hasData = false;
      return ev;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') {
      this.data.push(value);
      this.hasData = true;
    }
    return null;
  }
}
