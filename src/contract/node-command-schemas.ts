/**
 * The API contract for node commands: snapshot / revert / list snapshots of a task's workspace,
 * asked by users, delivered to the node with its heartbeat, reported back by the node.
 */
import { z } from 'zod';
import { NODE_COMMAND_KINDS, NODE_COMMAND_STATES } from '../core/node-command.js';

const nonNegInt = z.number().int().nonnegative();

/** Snapshot ids are time-ordered: `20260101T120000000Z-a1b2c3`. */
export const SnapshotId = z
  .string()
  .regex(/^[0-9A-Za-z][0-9A-Za-z-]{0,63}$/, 'snapshot id: letters, digits and - (as listed by `tasks snapshots`)');

export const SnapshotInfoSchema = z.object({
  id: z.string(),
  createdAt: z.number(),
  label: z.string(),
  commit: z.string(),
  trackedCommit: z.string().nullable(),
  untrackedBytes: nonNegInt,
});
export type SnapshotInfoDto = z.infer<typeof SnapshotInfoSchema>;

/** Results the node reports, by command kind. Durations are measured on the node. */
export const SnapshotResultSchema = z.object({
  snapshotId: z.string(),
  label: z.string(),
  createdAt: z.number(),
  commit: z.string(),
  trackedCommit: z.string().nullable(),
  untrackedBytes: nonNegInt,
  durationMs: nonNegInt,
});
export const RevertResultSchema = z.object({
  snapshotId: z.string(),
  /** Paths rewritten (changed or restored) and removed. */
  written: nonNegInt,
  removed: nonNegInt,
  durationMs: nonNegInt,
});
export const ListSnapshotsResultSchema = z.object({
  snapshots: z.array(SnapshotInfoSchema).max(10_000),
  durationMs: nonNegInt,
});
export const COMMAND_RESULT_SCHEMAS = {
  snapshot: SnapshotResultSchema,
  revert: RevertResultSchema,
  list_snapshots: ListSnapshotsResultSchema,
} as const;

export const NodeCommandSchema = z.object({
  id: z.string(),
  nodeId: z.string(),
  taskId: z.string(),
  kind: z.enum(NODE_COMMAND_KINDS),
  args: z.record(z.string(), z.unknown()),
  state: z.enum(NODE_COMMAND_STATES),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  actor: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type NodeCommandDto = z.infer<typeof NodeCommandSchema>;

export const TaskSnapshotRequest = z.strictObject({
  label: z.string().max(200, 'label: at most 200 characters').optional(),
});

export const NodeCommandResultRequest = z
  .strictObject({
    state: z.enum(['done', 'failed']),
    result: z.record(z.string(), z.unknown()).nullable().default(null),
    error: z.string().max(4000).nullable().default(null),
  })
  .superRefine((r, ctx) => {
    if (r.state === 'done' && r.result === null) ctx.addIssue({ code: 'custom', path: ['result'], message: "a 'done' result needs result" });
    if (r.state === 'failed' && r.error === null) ctx.addIssue({ code: 'custom', path: ['error'], message: "a 'failed' result needs error" });
  });
