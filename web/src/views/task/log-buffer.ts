/** The log lines kept in memory: ascending by seq, each once, at most the newest `max`. Pure. */
import type { LogLineDto } from './task-types.js';

export const MAX_LOG_LINES = 5000;

export function appendLogLines(current: readonly LogLineDto[], incoming: readonly LogLineDto[], max = MAX_LOG_LINES): readonly LogLineDto[] {
  const lastSeq = current.at(-1)?.seq ?? 0;
  const fresh = incoming.filter((l) => l.seq > lastSeq).sort((a, b) => a.seq - b.seq);
  const unique: LogLineDto[] = [];
  for (const l of fresh) if (unique.at(-1)?.seq !== l.seq) unique.push(l);
  if (unique.length === 0) return current;
  const all = [...current, ...unique];
  return all.length > max ? all.slice(all.length - max) : all;
}
