/**
 * `#/tasks/<id>`: one task, live. The header, guardrail usage and controls come from the task
 * (refetched when a state-changing event arrives, and every 3 s as a fallback); the timeline from
 * the task's events (history, then the live stream); output from the log endpoint (polled); the
 * diff of the last iteration from `…/diff` (refetched after each iteration).
 */
import { useCallback, useMemo } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api/client.js';
import { getGuidance, getTask, taskKeys } from './task-api.js';
import { isTerminalState, type EventDto, type GuidanceDto } from './task-types.js';
import { changesTaskState } from './timeline-model.js';
import { iterationRows } from './iteration-model.js';
import { useTaskEvents, type ConnectionState } from './use-task-events.js';
import { useTaskLogs } from './use-task-logs.js';
import { TaskHeader } from './task-header.js';
import { GuardrailMeters } from './guardrail-meters.js';
import { TaskControls } from './task-controls.js';
import { Timeline } from './timeline.js';
import { IterationTable } from './iteration-table.js';
import { LogView } from './log-view.js';
import { DiffView } from './diff-view.js';
import './task-view.css';

export const TASK_POLL_MS = 3000;
const NO_GUIDANCE: readonly GuidanceDto[] = [];

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  loading: 'Loading history…',
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  error: 'Not connected',
};

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <span className={`tv-conn tv-conn-${state}`} role="status" aria-label="Connection" data-connection={state}>
      <span className="tv-conn-dot" aria-hidden="true" />
      {CONNECTION_TEXT[state]}
    </span>
  );
}

export function TaskView(props: { taskId: string }) {
  const { taskId } = props;
  const qc = useQueryClient();
  const task = useQuery({
    queryKey: taskKeys.task(taskId),
    queryFn: () => getTask(taskId),
    refetchInterval: (q) => (q.state.data !== undefined && isTerminalState(q.state.data.state) ? false : TASK_POLL_MS),
    retry: (n, e) => !(e instanceof ApiError && e.status === 404) && n < 2,
  });
  const guidance = useQuery({ queryKey: taskKeys.guidance(taskId), queryFn: () => getGuidance(taskId) });

  const onNewEvents = useCallback(
    (batch: readonly EventDto[]) => {
      if (batch.some((e) => changesTaskState(e.type))) void qc.invalidateQueries({ queryKey: taskKeys.task(taskId), exact: true });
      if (batch.some((e) => e.type === 'task.guided' || e.type === 'guidance.delivered')) void qc.invalidateQueries({ queryKey: taskKeys.guidance(taskId) });
      if (batch.some((e) => e.type === 'iteration.finished')) void qc.invalidateQueries({ queryKey: taskKeys.diff(taskId) });
    },
    [qc, taskId],
  );
  const { events, connection, error: eventsError } = useTaskEvents(taskId, onNewEvents);
  const terminal = task.data !== undefined && isTerminalState(task.data.state);
  const missing = task.error instanceof ApiError && task.error.status === 404;
  const logs = useTaskLogs(taskId, terminal || missing);
  const rows = useMemo(() => iterationRows(events), [events]);

  if (task.isPending) {
    return (
      <section className="tv" aria-busy="true">
        <p>Loading task {taskId}…</p>
      </section>
    );
  }
  if (task.isError && task.data === undefined) {
    const notFound = task.error instanceof ApiError && task.error.status === 404;
    return (
      <section className="tv">
        <p role="alert" className="tv-error">
          {notFound ? `Task ${taskId} was not found.` : `Cannot load task ${taskId}: ${task.error.message}`}
        </p>
        <a href="#/tasks">Back to tasks</a>
      </section>
    );
  }
  const t = task.data;
  return (
    <section className="tv" data-task-id={t.id} aria-label={`Task ${t.id}`}>
      <div className="tv-topbar">
        <a href="#/tasks">← Tasks</a>
        <ConnectionIndicator state={connection} />
      </div>
      <TaskHeader task={t} />
      {task.isError ? (
        <p role="alert" className="tv-error">
          Cannot refresh the task: {task.error.message}
        </p>
      ) : null}
      {eventsError !== null ? (
        <p role="alert" className="tv-error">
          {eventsError}
        </p>
      ) : null}
      <div className="tv-grid">
        <div className="tv-col">
          <GuardrailMeters task={t} />
          <TaskControls task={t} />
          <IterationTable rows={rows} />
        </div>
        <div className="tv-col">
          <Timeline events={events} guidance={guidance.data ?? NO_GUIDANCE} rows={rows} />
        </div>
      </div>
      <LogView lines={logs.lines} error={logs.error} dropped={logs.dropped} />
      <DiffView taskId={taskId} />
    </section>
  );
}
