/** The tasks list (filters, search, pages) and the "New task" form. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { apiFetch } from '../../api/client.js';
import { TASK_STATES, type Page, type TaskDto } from '../../api/types.js';
import { AGENTS } from '../../api/types.js';
import { useCursorPager } from '../../lib/cursor-pager.js';
import { PagerControls } from '../../lib/pager-controls.js';
import { formatInt, formatRelative, formatUsd } from '../../lib/format.js';
import { taskHref } from '../../lib/router.js';
import { useDebounced } from '../../lib/use-debounced.js';
import { useNow } from '../../lib/use-now.js';
import { NewTaskForm } from './new-task-form.js';
import { NO_FILTERS, taskListPath, type TaskFilters } from './task-query.js';

/** A task's one-line title: the first line of its prompt, shortened. */
export function taskTitle(t: Pick<TaskDto, 'spec'>): string {
  const first = t.spec.prompt.split('\n')[0] ?? '';
  return first.length > 80 ? `${first.slice(0, 79)}…` : first;
}

function Filters({ value, onChange }: { value: TaskFilters; onChange: (f: TaskFilters) => void }) {
  const base = useId();
  const set = (k: keyof TaskFilters) => (e: { target: { value: string } }) => onChange({ ...value, [k]: e.target.value });
  return (
    <fieldset className="filters">
      <legend>Filter tasks</legend>
      <div className="field">
        <label htmlFor={`${base}-q`}>Search</label>
        <input id={`${base}-q`} type="search" value={value.q} onChange={set('q')} aria-describedby={`${base}-q-hint`} />
        <small id={`${base}-q-hint`} className="muted">
          id, title or prompt
        </small>
      </div>
      <div className="field">
        <label htmlFor={`${base}-state`}>State</label>
        <select id={`${base}-state`} value={value.state} onChange={set('state')}>
          <option value="">any</option>
          {TASK_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${base}-agent`}>Driver</label>
        <select id={`${base}-agent`} value={value.agent} onChange={set('agent')}>
          <option value="">any</option>
          {AGENTS.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${base}-node`}>Node</label>
        <input id={`${base}-node`} value={value.node} onChange={set('node')} placeholder="node id" />
      </div>
      <div className="field">
        <label htmlFor={`${base}-project`}>Project</label>
        <input id={`${base}-project`} value={value.project} onChange={set('project')} />
      </div>
    </fieldset>
  );
}

export function TasksView() {
  const [filters, setFilters] = useState<TaskFilters>(NO_FILTERS);
  const settled = useDebounced(filters, 300);
  const pager = useCursorPager();
  const now = useNow(10_000);
  const { reset } = pager;
  useEffect(() => reset(), [settled, reset]);
  const path = taskListPath(settled, pager.cursor);
  const tasks = useQuery<Page<TaskDto>>({
    queryKey: ['tasks', 'list', path],
    queryFn: ({ signal }) => apiFetch<Page<TaskDto>>(path, { signal }),
    refetchInterval: 5_000,
    placeholderData: keepPreviousData,
  });
  const items = tasks.data?.items ?? [];
  const nextCursor = tasks.data?.nextCursor ?? null;
  return (
    <section aria-labelledby="tasks-heading">
      <div className="view-head">
        <h1 id="tasks-heading">Tasks</h1>
      </div>
      <NewTaskForm />
      <section className="card" aria-labelledby="task-list-heading">
        <h2 id="task-list-heading">All tasks</h2>
        <Filters value={filters} onChange={setFilters} />
        {tasks.isError && (
          <p className="error" role="alert">
            Could not load tasks: {tasks.error.message}
          </p>
        )}
        {tasks.isPending ? (
          <p>Loading tasks…</p>
        ) : items.length === 0 ? (
          <p>No tasks match.</p>
        ) : (
          <div className="table-scroll" role="region" aria-labelledby="task-list-heading" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col">State</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Node</th>
                  <th scope="col">Project</th>
                  <th scope="col">Iterations</th>
                  <th scope="col">Cost</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {items.map((t) => (
                  <tr key={t.id}>
                    <th scope="row">
                      <a href={taskHref(t.id)} className="mono">
                        {t.id}
                      </a>
                      <div className="title">{taskTitle(t)}</div>
                    </th>
                    <td>
                      <span className={`pill state-${t.state}`}>{t.state}</span>
                      {t.reason !== null && <div className="muted">{t.reason}</div>}
                    </td>
                    <td>
                      {t.spec.agent}
                      {t.spec.model !== undefined && t.spec.model !== null && <div className="muted">{t.spec.model}</div>}
                    </td>
                    <td className="mono">{t.nodeId ?? '—'}</td>
                    <td>{t.spec.project ?? 'default'}</td>
                    <td>
                      {formatInt(t.usage.iterations)}
                      {t.spec.guardrails.maxIterations !== null && <span className="muted"> / {t.spec.guardrails.maxIterations}</span>}
                    </td>
                    <td>{formatUsd(t.usage.usd)}</td>
                    <td>
                      <time dateTime={new Date(t.createdAt).toISOString()}>{formatRelative(t.createdAt, now)}</time>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <PagerControls pager={pager} nextCursor={nextCursor} />
      </section>
    </section>
  );
}
