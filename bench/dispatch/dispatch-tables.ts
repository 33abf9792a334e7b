/** The dispatch bench's result as plain Markdown tables. */
import type { DispatchBenchResult, DispatchStorage, PeerRow } from './dispatch-types.js';

function formatTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

const STORAGE_LABEL: Record<DispatchStorage, string> = { file: 'file (WAL)', memory: ':memory:' };
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms1 = (n: number): string => n.toFixed(1);

export function formatDispatchResult(result: DispatchBenchResult): string {
  const out: string[] = [];
  out.push(
    formatTable(
      ['storage', 'tasks', 'runs', 'submit tasks/s', 'leased tasks/s', 'dispatch ms', 'passes', 'pass p50 ms', 'pass p95 ms'],
      result.throughput.map((r) => [
        STORAGE_LABEL[r.storage],
        int(r.tasks),
        String(r.runs),
        int(r.submitPerSec),
        int(r.leasedPerSec),
        int(r.dispatchMs),
        String(r.passes),
        ms1(r.passMedianMs),
        ms1(r.passP95Ms),
      ]),
    ),
  );
  if (result.peer.length > 0) {
    out.push('');
    out.push(
      formatTable(
        ['storage', 'tasks', 'runs', 'batched tasks/s', 'one-per-tx tasks/s', 'batched / one-per-tx'],
        result.peer.map((r) => [
          STORAGE_LABEL[r.storage],
          int(r.tasks),
          String(r.runs),
          int(r.batchedPerSec),
          int(r.naivePerSec),
          `${r.ratio.toFixed(1)}x`,
        ]),
      ),
    );
  }
  if (result.latency.length > 0) {
    out.push('');
    out.push(
      formatTable(
        ['storage', 'tasks', 'runs', 'rate/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'passes/task', 'events p50', 'events p99'],
        result.latency.map((r) => [
          STORAGE_LABEL[r.storage],
          int(r.tasks),
          String(r.runs),
          int(r.ratePerSec),
          ms1(r.p50Ms),
          ms1(r.p95Ms),
          ms1(r.p99Ms),
          ms1(r.maxMs),
          r.passesPerTask.toFixed(2),
          String(r.eventsP50Ms),
          String(r.eventsP99Ms),
        ]),
      ),
    );
  }
  return out.join('\n');
}

/** The one-line summary printed after the tables for each peer row. */
export function formatPeerSummary(p: PeerRow): string {
  return `\n${STORAGE_LABEL[p.storage]}, ${p.tasks} tasks: batched passes lease ${p.ratio.toFixed(1)}x as many tasks/s as one task per transaction`;
}
