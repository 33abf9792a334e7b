import { memo, useMemo } from 'react';
import type { EventDto, GuidanceDto } from './task-types.js';
import { eventKind, summarizeEvent } from './timeline-model.js';
import { formatClock } from './format.js';
import { useStickToBottom } from './use-stick-to-bottom.js';
import { usageByIteration, type IterationRow } from './iteration-model.js';

const EventItem = memo(function EventItem({ event, summary }: { event: EventDto; summary: string }) {
  return (
    <li data-seq={event.seq} data-type={event.type} className={`tv-event tv-event-${eventKind(event.type)}`}>
      <time dateTime={new Date(event.at).toISOString()}>{formatClock(event.at)}</time>
      <span className="tv-event-type">{event.type}</span>
      <span className="tv-event-summary">{summary}</span>
    </li>
  );
});

/** The task's events, oldest first, each once (`data-seq`), following new ones. */
export const Timeline = memo(function Timeline(props: { events: readonly EventDto[]; guidance: readonly GuidanceDto[]; rows: readonly IterationRow[] }) {
  const { events, guidance, rows } = props;
  const ctx = useMemo(() => ({ guidance: new Map(guidance.map((g) => [g.seq, g])), usage: usageByIteration(rows) }), [guidance, rows]);
  const { ref, onScroll, stuck, jump } = useStickToBottom<HTMLDivElement>(events.length);
  return (
    <section className="tv-card tv-timeline" aria-labelledby="tv-timeline-h">
      <h2 id="tv-timeline-h">
        Timeline <span className="tv-count">({events.length} events)</span>
      </h2>
      <div className="tv-scroll" ref={ref} onScroll={onScroll} tabIndex={0} role="region" aria-label="Timeline events">
        {events.length === 0 ? <p className="tv-empty">No events yet.</p> : null}
        <ol className="tv-events" aria-label="Events">
          {events.map((e) => (
            <EventItem key={e.seq} event={e} summary={summarizeEvent(e, ctx)} />
          ))}
        </ol>
      </div>
      {!stuck ? (
        <button type="button" className="tv-jump" onClick={jump}>
          Jump to latest event
        </button>
      ) : null}
    </section>
  );
});
