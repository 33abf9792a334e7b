/**
 * An incremental Server-Sent Events parser (the `text/event-stream` format): feed it text as it
 * arrives, get back complete frames. Handles LF, CRLF and CR line ends, comments (`: keep-alive`),
 * multi-line `data:` and a frame split across chunks.
 */

export interface SseFrame {
  /** The `id:` field, when the frame had one. */
  id: string | undefined;
  /** The `event:` field; `message` when absent. */
  event: string;
  /** `data:` lines joined with `\n`. */
  data: string;
}

export class SseParser {
  private buffer = '';
  private id: string | undefined = undefined;
  private event = '';
  private data: string[] = [];
  private hasData = false;

  /** Adds a chunk of the stream; returns the frames it completed. */
  push(chunk: string): SseFrame[] {
    this.buffer += chunk;
    const frames: SseFrame[] = [];
    for (;;) {
      const m = /\r\n|\n|\r/.exec(this.buffer);
      if (m === null) break;
      // A lone CR at the very end may be the first half of CRLF: wait for the next chunk.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const frame = this.line(line);
      if (frame !== null) frames.push(frame);
    }
    return frames;
  }

  private line(line: string): SseFrame | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      default:
        // `retry` and unknown fields are ignored.
        break;
    }
    return null;
  }

  private dispatch(): SseFrame | null {
    const frame: SseFrame | null = this.hasData
      ? { id: this.id, event: this.event === '' ? 'message' : this.event, data: this.data.join('\n') }
      : null;
    this.id = undefined;
    this.event = '';
    this.data = [];
    this.hasData = false;
    return frame;
  }
}
