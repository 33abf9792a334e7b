import { memo, useMemo } from 'react';
import type { LogLineDto } from './task-types.js';
import { ansiClassNames, parseAnsi, PLAIN_STYLE, type AnsiSegment, type AnsiStyle } from './ansi.js';
import { useStickToBottom } from './use-stick-to-bottom.js';
import { MAX_LOG_LINES } from './log-buffer.js';

interface Parsed {
  readonly start: AnsiStyle;
  readonly segments: AnsiSegment[];
  readonly end: AnsiStyle;
}
const parsed = new WeakMap<LogLineDto, Parsed>();

/**
 * Segments of every line; a colour left open at the end of a line carries into the next line of
 * the same stream and iteration, as in a terminal. Parsed once per line (cached).
 */
export function segmentLines(lines: readonly LogLineDto[]): AnsiSegment[][] {
  const open = new Map<string, AnsiStyle>();
  return lines.map((line) => {
    const key = `${line.attempt}:${line.iteration}:${line.stream}`;
    const start = open.get(key) ?? PLAIN_STYLE;
    let p = parsed.get(line);
    if (p === undefined || p.start !== start) {
      const r = parseAnsi(line.text, start);
      p = { start, segments: r.segments, end: r.end };
      parsed.set(line, p);
    }
    open.set(key, p.end);
    return p.segments;
  });
}

const LogLine = memo(function LogLine({ line, segments }: { line: LogLineDto; segments: AnsiSegment[] }) {
  return (
    <div className={`tv-log-line tv-log-${line.stream}`} data-log-seq={line.seq}>
      {line.stream !== 'stdout' ? <span className="tv-log-stream">{line.stream} </span> : null}
      {segments.map((seg, i) => {
        const cls = ansiClassNames(seg);
        return cls === '' ? <span key={i}>{seg.text}</span> : <span key={i} className={cls}>{seg.text}</span>;
      })}
    </div>
  );
});

/** The task's output as a terminal: ANSI colours, newest at the bottom, follows new lines. */
export function LogView(props: { lines: readonly LogLineDto[]; error: string | null; dropped: boolean }) {
  const { lines, error, dropped } = props;
  const { ref, onScroll, stuck, jump } = useStickToBottom<HTMLDivElement>(lines.at(-1)?.seq ?? 0);
  const segments = useMemo(() => segmentLines(lines), [lines]);
  return (
    <section className="tv-card tv-logs" aria-labelledby="tv-logs-h">
      <h2 id="tv-logs-h">Output</h2>
      {error !== null ? (
        <p role="alert" className="tv-error">
          {error}
        </p>
      ) : null}
      <div className="tv-terminal" ref={ref} onScroll={onScroll} tabIndex={0} role="log" aria-label="Task output">
        {dropped ? <div className="tv-log-note">(older lines dropped: the last {MAX_LOG_LINES} are kept)</div> : null}
        {lines.length === 0 ? <div className="tv-log-note">No output yet.</div> : null}
        {lines.map((l, i) => (
          <LogLine key={l.seq} line={l} segments={segments[i] ?? []} />
        ))}
      </div>
      {!stuck ? (
        <button type="button" className="tv-jump" onClick={jump}>
          Jump to latest output
        </button>
      ) : null}
    </section>
  );
}
