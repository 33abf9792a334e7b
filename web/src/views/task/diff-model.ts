/** A unified diff (git format) as classified lines for display. Pure. */
import type { DiffFileDto } from './task-types.js';

export type DiffLineKind = 'added' | 'removed' | 'hunk' | 'header' | 'context' | 'note';

export interface DiffLine {
  readonly kind: DiffLineKind;
  readonly text: string;
}

/** Classifies each line of a patch: `+`/`-` lines inside hunks, hunk headers, file headers. */
export function diffLines(patch: string): DiffLine[] {
  if (patch === '') return [];
  const lines = patch.replace(/\n$/, '').split('\n');
  const out: DiffLine[] = [];
  let inHunk = false;
  for (const text of lines) {
    if (text.startsWith('diff --git ') || text.startsWith('diff --cc ')) {
      inHunk = false;
      out.push({ kind: 'header', text });
    } else if (text.startsWith('@@')) {
      inHunk = true;
      out.push({ kind: 'hunk', text });
    } else if (!inHunk) {
      out.push({ kind: text.startsWith('Binary files') ? 'note' : 'header', text });
    } else if (text.startsWith('+')) {
      out.push({ kind: 'added', text });
    } else if (text.startsWith('-')) {
      out.push({ kind: 'removed', text });
    } else if (text.startsWith('\\')) {
      out.push({ kind: 'note', text });
    } else {
      out.push({ kind: 'context', text });
    }
  }
  return out;
}

export const DIFF_STATUS_LABELS: Record<DiffFileDto['status'], string> = {
  added: 'A',
  modified: 'M',
  deleted: 'D',
  renamed: 'R',
};

export function diffTotals(files: readonly DiffFileDto[]): { additions: number; deletions: number } {
  return files.reduce((t, f) => ({ additions: t.additions + f.additions, deletions: t.deletions + f.deletions }), { additions: 0, deletions: 0 });
}
