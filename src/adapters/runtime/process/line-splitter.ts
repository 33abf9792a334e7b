import { StringDecoder } from 'node:string_decoder';

/** The longest line kept; the rest of a longer line is dropped and the line is marked. */
export const MAX_LINE_CHARS = 64 * 1024;
export const TRUNCATED_MARK = ' …[line truncated]';

/**
 * Turns a byte stream into lines: joins partial chunks, splits on `\n` (dropping a trailing
 * `\r`), decodes UTF-8 across chunk borders, and caps each line at `maxLineChars` so a program
 * that never prints a newline cannot exhaust memory.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private truncated = false;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLineChars = MAX_LINE_CHARS,
  ) {}

  push(chunk: Buffer | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    for (;;) {
      const nl = text.indexOf('\n');
      if (nl < 0) break;
      this.append(text.slice(0, nl));
      this.flushLine();
      text = text.slice(nl + 1);
    }
    this.append(text);
  }

  /** End of stream: emits the last line when it has no newline. */
  end(): void {
    this.append(this.decoder.end());
    if (this.partial.length > 0 || this.truncated) this.flushLine();
  }

  private append(text: string): void {
    if (this.truncated || text.length === 0) return;
    const room = this.maxLineChars - this.partial.length;
    if (text.length <= room) {
      this.partial += text;
      return;
    }
    this.partial += text.slice(0, room);
    this.truncated = true;
  }

  private flushLine(): void {
    let line = this.partial.endsWith('\r') ? this.partial.slice(0, -1) : this.partial;
    if (this.truncated) line += TRUNCATED_MARK;
    this.partial = '';
    this.truncated = false;
    this.emit(line);
  }
}
