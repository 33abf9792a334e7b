import { CorticalError } from '../../../core/errors.js';
import { clampLimit, type Page, type PageRequest } from '../../../core/page.js';
import { PIPELINE_STATES, type NewPipelineRun, type PipelineRun, type PipelineRunUpdate, type PipelineState } from '../../../core/pipeline/pipeline-run.js';
import type { PipelineRunsTable } from './database.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { parseJson, toJson } from './json.js';
import { toNum } from './numbers.js';
import type { Db, SqlContext } from './sql-context.js';
import type { Selectable } from 'kysely';

function runOf(r: Selectable<PipelineRunsTable>): PipelineRun {
  const state = (PIPELINE_STATES as readonly string[]).includes(r.state) ? (r.state as PipelineState) : 'ABORTED';
  return {
    id: r.id,
    state,
    intent: r.intent,
    project: r.project,
    spec: parseJson<Record<string, unknown>>(r.spec, 'pipeline_runs.spec'),
    snapshotId: r.snapshot_id,
    evidence: parseJson<Record<string, unknown>>(r.evidence, 'pipeline_runs.evidence'),
    error: r.error,
    createdAt: toNum(r.created_at),
    updatedAt: toNum(r.updated_at),
    version: toNum(r.version),
  };
}

function readRun(db: Db, id: string): Promise<Selectable<PipelineRunsTable> | undefined> {
  return db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function createPipelineRun(ctx: SqlContext, input: NewPipelineRun): Promise<PipelineRun> {
  return ctx.runInTx(async (tx) => {
    await tx
      .insertInto('pipeline_runs')
      .values({
        id: input.id,
        state: 'IDLE',
        intent: input.intent,
        project: input.project,
        spec: toJson(input.spec),
        snapshot_id: null,
        evidence: '{}',
        error: null,
        created_at: input.nowMs,
        updated_at: input.nowMs,
        version: 1,
      })
      .execute();
    const row = await readRun(tx, input.id);
    if (row === undefined) throw new CorticalError('INTERNAL', `pipeline run ${input.id} vanished`);
    return runOf(row);
  });
}

export async function getPipelineRun(ctx: SqlContext, id: string): Promise<PipelineRun | null> {
  const row = await readRun(ctx.db, id);
  return row === undefined ? null : runOf(row);
}

/** Update a run if it still has the version the caller read (CONFLICT otherwise); evidence keys merge. */
export async function updatePipelineRun(ctx: SqlContext, input: PipelineRunUpdate): Promise<PipelineRun> {
  return ctx.runInTx(async (tx) => {
    const row = await readRun(tx, input.id);
    if (row === undefined) throw new CorticalError('NOT_FOUND', `pipeline run ${input.id} not found`, { runId: input.id });
    const cur = runOf(row);
    if (cur.version !== input.expectedVersion) {
      throw new CorticalError('CONFLICT', `pipeline run ${input.id} changed (version ${cur.version}, expected ${input.expectedVersion})`, { runId: input.id });
    }
    const evidence = input.evidence === undefined ? cur.evidence : { ...cur.evidence, ...input.evidence };
    await tx
      .updateTable('pipeline_runs')
      .set({
        state: input.state ?? cur.state,
        snapshot_id: input.snapshotId === undefined ? cur.snapshotId : input.snapshotId,
        evidence: toJson(evidence),
        error: input.error === undefined ? cur.error : input.error,
        updated_at: input.nowMs,
        version: cur.version + 1,
      })
      .where('id', '=', input.id)
      .where('version', '=', cur.version)
      .execute();
    const after = await readRun(tx, input.id);
    if (after === undefined) throw new CorticalError('INTERNAL', `pipeline run ${input.id} vanished`);
    return runOf(after);
  });
}

/** Newest first. */
export async function listPipelineRuns(ctx: SqlContext, input: PageRequest): Promise<Page<PipelineRun>> {
  const limit = clampLimit(input.limit);
  let q = ctx.db.selectFrom('pipeline_runs').selectAll();
  if (input.cursor !== undefined) {
    const [createdAt, id] = decodeCursor(input.cursor, ['number', 'string'] as const);
    q = q.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  const items = rows.slice(0, limit).map(runOf);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor([last.createdAt, last.id]) : null };
}
