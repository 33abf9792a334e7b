/**
 * The API contract for the workspace diff of an iteration: the `diff` a node reports in an
 * `iteration.finished` report (`data.diff`, stored as is in the event) and the answer of
 * `GET /api/v1/tasks/{id}/diff`.
 */
import { z } from 'zod';
import { DIFF_FILE_STATUSES, MAX_DIFF_FILES, MAX_DIFF_PATCH_BYTES } from '../core/workspace-diff.js';

export const DiffFileSchema = z.strictObject({
  path: z.string().min(1).max(4096).describe('Path in the workspace (after the iteration; for a deletion, where the file was)'),
  status: z.enum(DIFF_FILE_STATUSES),
  additions: z.number().int().nonnegative().describe('Lines added (0 for a binary file)'),
  deletions: z.number().int().nonnegative().describe('Lines deleted (0 for a binary file)'),
});

export const WorkspaceDiffSchema = z.strictObject({
  files: z.array(DiffFileSchema).max(MAX_DIFF_FILES).describe(`Changed files in path order, at most ${MAX_DIFF_FILES}`),
  patch: z
    .string()
    .max(MAX_DIFF_PATCH_BYTES)
    .describe(`Unified patch (git diff format), at most ${MAX_DIFF_PATCH_BYTES} bytes; binary files appear as "Binary files … differ"`),
  truncated: z.boolean().describe('true when the file list or the patch was cut at its limit'),
});

export const TaskDiffResponse = z.object({
  iteration: z.number().int().positive().nullable().describe("The iteration the diff belongs to; null when no iteration has finished with a diff yet"),
  files: WorkspaceDiffSchema.shape.files,
  patch: WorkspaceDiffSchema.shape.patch,
  truncated: WorkspaceDiffSchema.shape.truncated,
});
export type TaskDiffResponse = z.infer<typeof TaskDiffResponse>;
