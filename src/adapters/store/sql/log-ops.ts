import type { LogLine, LogStream } from '../../../core/ports/store.js';
import { boundLimit, toNum } from './numbers.js';
import type { SqlContext } from './sql-context.js';
import { loadTask } from './task-row.js';

export const MAX_LOG_LINES_PER_READ = 10_000;

/** Log lines of a task with seq > afterSeq, ascending. */
export async function readLogs(
  ctx: SqlContext,
  input: { taskId: string; afterSeq: number; limit: number },
): Promise<readonly LogLine[]> {
  await loadTask(ctx.db, input.taskId);
  const rows = await ctx.db
    .selectFrom('task_logs')
    .selectAll()
    .where('task_id', '=', input.taskId)
    .where('seq', '>', input.afterSeq)
    .orderBy('seq', 'asc')
    .limit(boundLimit(input.limit, MAX_LOG_LINES_PER_READ))
    .execute();
  return rows.map((r) => ({
    taskId: r.task_id,
    seq: toNum(r.seq),
    attempt: toNum(r.attempt),
    iteration: toNum(r.iteration),
    stream: r.stream as LogStream,
    at: toNum(r.at),
    text: r.text,
  }));
}
