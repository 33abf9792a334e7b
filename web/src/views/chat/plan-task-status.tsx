import { useQuery } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import { taskHref } from '../../lib/router.js';
import type { TaskDto } from '../task/task-types.js';
import { isTerminalState } from '../task/task-types.js';
import { formatUsd } from '../task/format.js';

export const PLAN_TASK_POLL_MS = 2000;

/** The live status of a task started from the chat, with a link to its page. */
export function PlanTaskStatus({ taskId }: { taskId: string }) {
  const q = useQuery({
    queryKey: ['task', taskId],
    queryFn: () => apiFetch<TaskDto>(`/api/v1/tasks/${encodeURIComponent(taskId)}`),
    refetchInterval: (query) => (query.state.data !== undefined && isTerminalState(query.state.data.state) ? false : PLAN_TASK_POLL_MS),
  });
  const t = q.data;
  return (
    <div className="cv-task" data-task-id={taskId}>
      <p className="cv-task-line">
        Task <code>{taskId}</code>
        {t !== undefined ? (
          <>
            {' '}
            is <strong data-state={t.state}>{t.state}</strong>
            {t.reason !== null ? ` (${t.reason})` : ''}: {t.usage.iterations} {t.usage.iterations === 1 ? 'iteration' : 'iterations'}, {formatUsd(t.usage.usd)}
            {!isTerminalState(t.state) ? <span className="cv-refreshing"> · refreshing</span> : null}
          </>
        ) : (
          ' created'
        )}
      </p>
      {q.isError ? (
        <p role="alert" className="cv-error">
          Cannot read the task: {q.error.message}
        </p>
      ) : null}
      <a href={taskHref(taskId)}>Open task</a>
    </div>
  );
}
