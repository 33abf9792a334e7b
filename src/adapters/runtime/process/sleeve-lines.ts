import type { Readable } from 'node:stream';
import { LineQueue } from './line-queue.js';
import { LineSplitter, MAX_LINE_CHARS } from './line-splitter.js';

export type SleeveLine = { stream: 'stdout' | 'stderr'; text: string };

/**
 * stdout and stderr of a child as one line queue with back-pressure (the streams pause while the
 * consumer lags); ends when both streams have closed.
 */
export function sleeveLines(
  stdout: Readable | null,
  stderr: Readable | null,
  options: { maxLineChars?: number | undefined; lineHighWater?: number | undefined },
): LineQueue<SleeveLine> {
  const streams = [stdout, stderr].filter((s) => s !== null);
  const queue = new LineQueue<SleeveLine>(
    {
      onFull: () => streams.forEach((s) => s.pause()),
      onDrained: () => streams.forEach((s) => s.resume()),
    },
    options.lineHighWater ?? 1000,
  );
  let open = 0;
  const attach = (stream: Readable | null, name: 'stdout' | 'stderr'): void => {
    if (stream === null) return;
    open += 1;
    const splitter = new LineSplitter((text) => queue.push({ stream: name, text }), options.maxLineChars ?? MAX_LINE_CHARS);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      splitter.end();
      open -= 1;
      if (open === 0) queue.end();
    };
    stream.on('data', (chunk: Buffer) => splitter.push(chunk));
    stream.once('end', close);
    stream.once('close', close);
    stream.once('error', close);
  };
  attach(stdout, 'stdout');
  attach(stderr, 'stderr');
  if (open === 0) queue.end();
  return queue;
}
