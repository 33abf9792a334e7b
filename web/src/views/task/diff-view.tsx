import { useQuery } from '@tanstack/react-query';
import { ApiError } from '../../api/client.js';
import { getDiff, taskKeys } from './task-api.js';
import type { DiffDto } from './task-types.js';
import { DIFF_STATUS_LABELS, diffLines, diffTotals } from './diff-model.js';

/** The diff itself (file list and patch); pure rendering. */
export function DiffBody({ diff }: { diff: DiffDto }) {
  if (diff.files.length === 0 && diff.patch === '') return <p className="tv-empty">No changes yet.</p>;
  const totals = diffTotals(diff.files);
  return (
    <>
      <p className="tv-diff-summary">
        {diff.iteration !== null ? `Iteration ${diff.iteration}: ` : ''}
        {diff.files.length} {diff.files.length === 1 ? 'file' : 'files'} changed, <span className="tv-add">+{totals.additions}</span>{' '}
        <span className="tv-del">−{totals.deletions}</span>
        {diff.truncated ? ' (patch truncated)' : ''}
      </p>
      <ul className="tv-diff-files" aria-label="Changed files">
        {diff.files.map((f) => (
          <li key={f.path} data-path={f.path} data-status={f.status}>
            <span className={`tv-diff-status tv-diff-status-${f.status}`} title={f.status}>
              {DIFF_STATUS_LABELS[f.status]}
            </span>
            <span className="tv-sr">{f.status}</span>
            <code className="tv-diff-path">{f.path}</code>
            <span className="tv-add">+{f.additions}</span>
            <span className="tv-del">−{f.deletions}</span>
          </li>
        ))}
      </ul>
      {diff.patch !== '' ? (
        <div className="tv-patch" tabIndex={0} role="region" aria-label="Patch">
          {diffLines(diff.patch).map((l, i) => (
            <div key={i} className={`tv-patch-line tv-patch-${l.kind}`} data-kind={l.kind}>
              {l.text === '' ? ' ' : l.text}
            </div>
          ))}
        </div>
      ) : null}
    </>
  );
}

/** The workspace diff of the task's last finished iteration (refetched after each iteration). */
export function DiffView({ taskId }: { taskId: string }) {
  const q = useQuery({ queryKey: taskKeys.diff(taskId), queryFn: () => getDiff(taskId), retry: false });
  let body;
  if (q.isPending) body = <p className="tv-empty">Loading the diff…</p>;
  else if (q.isError) {
    body =
      q.error instanceof ApiError && q.error.status === 404 ? (
        <p className="tv-empty">Diff not available.</p>
      ) : (
        <p role="alert" className="tv-error">
          Cannot load the diff: {q.error.message}
        </p>
      );
  } else body = <DiffBody diff={q.data} />;
  return (
    <section className="tv-card tv-diff" aria-labelledby="tv-diff-h">
      <h2 id="tv-diff-h">Workspace diff</h2>
      {body}
    </section>
  );
}
