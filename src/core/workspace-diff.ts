/**
 * The workspace diff of one iteration: what the working tree looked like after the iteration
 * compared with before it (`.cstack/` left out), as a list of files and a unified patch, both
 * bounded. Reported with `iteration.finished` (`data.diff`) and served by `GET /tasks/{id}/diff`.
 */

export const DIFF_FILE_STATUSES = ['added', 'modified', 'deleted', 'renamed'] as const;
export type DiffFileStatus = (typeof DIFF_FILE_STATUSES)[number];

export interface DiffFile {
  /** Path in the working tree after the iteration (for a deletion: where the file was). */
  readonly path: string;
  readonly status: DiffFileStatus;
  /** Lines added and deleted; 0 and 0 for a binary file. */
  readonly additions: number;
  readonly deletions: number;
}

export interface WorkspaceDiff {
  readonly files: readonly DiffFile[];
  /** Unified patch (`git diff` format); binary files appear as `Binary files … differ`. */
  readonly patch: string;
  /** true when the file list or the patch was cut at its limit. */
  readonly truncated: boolean;
}

export interface DiffLimits {
  readonly maxPatchBytes: number;
  readonly maxFiles: number;
}

export const MAX_DIFF_PATCH_BYTES = 64 * 1024;
export const MAX_DIFF_FILES = 500;
export const DIFF_LIMITS: DiffLimits = { maxPatchBytes: MAX_DIFF_PATCH_BYTES, maxFiles: MAX_DIFF_FILES };

export const EMPTY_DIFF: WorkspaceDiff = { files: [], patch: '', truncated: false };

/** Bytes of one code point in UTF-8. */
function utf8Bytes(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/**
 * `patch` cut to at most `maxBytes` bytes of UTF-8 after a line end: whole lines only, unless
 * the first line alone is longer than the limit (then it is cut between two characters).
 */
export function capPatch(patch: string, maxBytes: number): { patch: string; truncated: boolean } {
  let bytes = 0;
  let lineEnd = -1; // index after the last newline that fits
  let charEnd = 0; // index after the last character that fits
  for (let i = 0; i < patch.length; ) {
    const cp = patch.codePointAt(i) ?? 0;
    const width = cp > 0xffff ? 2 : 1;
    bytes += utf8Bytes(cp);
    if (bytes > maxBytes) return { patch: patch.slice(0, lineEnd >= 0 ? lineEnd : charEnd), truncated: true };
    i += width;
    charEnd = i;
    if (cp === 0x0a) lineEnd = i;
  }
  return { patch, truncated: false };
}

/** The diff of a task's newest finished iteration that has one (`iteration` null: none yet). */
export interface TaskDiff extends WorkspaceDiff {
  readonly iteration: number | null;
}
