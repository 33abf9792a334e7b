/** The audit log: who did what, newest first (`GET /api/v1/audit`). */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { apiFetch } from '../../api/client.js';
import type { AuditPage } from '../../api/types.js';
import { formatTime } from '../../lib/format.js';
import { taskHref } from '../../lib/router.js';
import { useDebounced } from '../../lib/use-debounced.js';
import { auditPath, currentBefore, hasNewer, NEWEST, newer, older, type AuditFilters, type AuditPager } from './audit-query.js';

export function AuditView() {
  const [filters, setFilters] = useState<AuditFilters>({ type: '', actor: '' });
  const settled = useDebounced(filters, 300);
  const [pager, setPager] = useState<AuditPager>(NEWEST);
  const base = useId();
  useEffect(() => setPager(NEWEST), [settled]);
  const path = auditPath(settled, currentBefore(pager));
  const audit = useQuery<AuditPage>({
    queryKey: ['audit', path],
    queryFn: ({ signal }) => apiFetch<AuditPage>(path, { signal }),
    // Only the newest page changes; older pages are history.
    refetchInterval: hasNewer(pager) ? false : 5_000,
    placeholderData: keepPreviousData,
  });
  const items = audit.data?.items ?? [];
  const nextBefore = audit.data?.nextBefore ?? null;
  return (
    <section aria-labelledby="audit-heading">
      <div className="view-head">
        <h1 id="audit-heading">Audit</h1>
      </div>
      <section className="card">
        <fieldset className="filters">
          <legend>Filter entries</legend>
          <div className="field">
            <label htmlFor={`${base}-type`}>Type</label>
            <input
              id={`${base}-type`}
              value={filters.type}
              placeholder="task.created, killswitch.changed"
              onChange={(e) => setFilters({ ...filters, type: e.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={`${base}-actor`}>Actor</label>
            <input id={`${base}-actor`} value={filters.actor} onChange={(e) => setFilters({ ...filters, actor: e.target.value })} />
          </div>
        </fieldset>
        {audit.isError && (
          <p className="error" role="alert">
            Could not load the audit log: {audit.error.message}
          </p>
        )}
        {audit.isPending ? (
          <p>Loading the audit log…</p>
        ) : items.length === 0 ? (
          <p>No entries.</p>
        ) : (
          <div className="table-scroll" role="region" aria-label="Audit entries" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Type</th>
                  <th scope="col">Task / node</th>
                  <th scope="col">Summary</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.seq}>
                    <td>
                      <time dateTime={new Date(e.at).toISOString()}>{formatTime(e.at)}</time>
                    </td>
                    <td>{e.actor ?? <span className="muted">system</span>}</td>
                    <td className="mono">{e.type}</td>
                    <td className="mono">
                      {e.taskId !== null && <a href={taskHref(e.taskId)}>{e.taskId}</a>}
                      {e.taskId !== null && e.nodeId !== null && <br />}
                      {e.nodeId}
                      {e.taskId === null && e.nodeId === null && '—'}
                    </td>
                    <td>{e.summary}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div className="pager">
          <button type="button" className="secondary" disabled={!hasNewer(pager)} onClick={() => setPager(newer)}>
            Newer
          </button>
          <button type="button" className="secondary" disabled={nextBefore === null} onClick={() => setPager((p) => older(p, nextBefore))}>
            Older
          </button>
        </div>
      </section>
    </section>
  );
}
