import { memo } from 'react';
import type { IterationRow } from './iteration-model.js';
import { formatDuration, formatUsd } from './format.js';

export const IterationTable = memo(function IterationTable({ rows }: { rows: readonly IterationRow[] }) {
  const attempts = new Set(rows.map((r) => r.attempt)).size;
  return (
    <section className="tv-card tv-iterations" aria-labelledby="tv-iterations-h">
      <h2 id="tv-iterations-h">Iterations</h2>
      {rows.length === 0 ? (
        <p className="tv-empty">No iterations yet.</p>
      ) : (
        <div className="tv-table-wrap">
          <table className="tv-table" aria-label="Iteration table">
            <thead>
              <tr>
                {attempts > 1 ? <th scope="col">Attempt</th> : null}
                <th scope="col">#</th>
                <th scope="col">Outcome</th>
                <th scope="col">Agent</th>
                <th scope="col" className="tv-num">
                  Tokens in
                </th>
                <th scope="col" className="tv-num">
                  Tokens out
                </th>
                <th scope="col" className="tv-num">
                  Cost
                </th>
                <th scope="col" className="tv-num">
                  Duration
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key} data-iteration={r.iteration} data-attempt={r.attempt}>
                  {attempts > 1 ? <td>{r.attempt}</td> : null}
                  <td>{r.iteration}</td>
                  <td>{r.outcome ?? <em>running…</em>}</td>
                  <td>{r.agent === null ? '—' : `${r.agent}${r.model !== null ? `/${r.model}` : ''}`}</td>
                  <td className="tv-num">{r.tokensIn}</td>
                  <td className="tv-num">{r.tokensOut}</td>
                  <td className="tv-num">{formatUsd(r.usd)}</td>
                  <td className="tv-num">{r.durationMs === null ? '—' : formatDuration(r.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
});
