import { sql, type Kysely } from 'kysely';
import type { TableCopyProgress, TableCopyReport } from '../../../core/ports/store-copy.js';
import type { Database } from './database.js';
import { toNum } from './numbers.js';

/**
 * Copying the store's tables from an SQLite database into a PostgreSQL one, row for row (same
 * ids, same event and log sequence numbers, token hashes as stored). Used by
 * `cortical migrate`; the caller opens both sides, takes the locks and runs the whole copy in
 * one target transaction (see `sqlite-to-postgres-copier.ts`).
 */

/**
 * Every table of the store, parents before children (tasks refer to nodes; labels, guidance,
 * iteration reports and logs refer to tasks). A table added to `Database` and not listed here
 * is a type error below, and the copy test compares this list with a migrated database's.
 */
export const COPY_ORDER = [
  'nodes',
  'tasks',
  'task_labels',
  'guidance',
  'iteration_reports',
  'task_logs',
  'events',
  'tokens',
  'node_commands',
  'settings',
  'hq_secrets',
  'usage_daily',
  'usage_hourly',
  'budgets',
  'leaders',
  'pipeline_runs',
  'tripcode_uses',
  'audit_seals',
  'audit_head',
] as const satisfies readonly (keyof Database)[];

export type CopiedTable = (typeof COPY_ORDER)[number];

type Uncopied = Exclude<keyof Database, CopiedTable>;
/** Fails to compile when a table of `Database` is missing from `COPY_ORDER`. */
export const EVERY_TABLE_COPIED: [Uncopied] extends [never] ? true : { missing: Uncopied } = true;

/** Tables the migrations seed with a row (the kill switch): replaced on the target, not appended to. */
export const SEEDED_TABLES: ReadonlySet<CopiedTable> = new Set<CopiedTable>(['settings']);

/** Identity columns whose sequence must continue after the copied values. */
export const IDENTITY_COLUMNS: readonly { readonly table: CopiedTable; readonly column: string }[] = [
  { table: 'events', column: 'seq' },
  { table: 'task_logs', column: 'seq' },
];

/** PostgreSQL accepts at most 65,535 bind parameters per statement; stay well below. */
const MAX_PARAMS_PER_STATEMENT = 30_000;
const ROWID = '__copy_rowid';

type Row = Record<string, unknown>;
/** The tables seen without their row types: the copy moves whatever columns the source has. */
type AnyDb = Kysely<Record<string, Row>>;

export async function countRows(db: Kysely<Database>, tables: readonly CopiedTable[] = COPY_ORDER): Promise<Map<CopiedTable, number>> {
  const counts = new Map<CopiedTable, number>();
  for (const table of tables) {
    const { rows } = await sql<{ n: number | string | bigint }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    counts.set(table, toNum(rows[0]?.n ?? 0));
  }
  return counts;
}

/** Tables of the target that already hold data (seeded tables do not count). */
export async function occupiedTables(target: Kysely<Database>): Promise<{ table: CopiedTable; rows: number }[]> {
  const counts = await countRows(target, COPY_ORDER.filter((t) => !SEEDED_TABLES.has(t)));
  return [...counts].filter(([, n]) => n > 0).map(([table, rows]) => ({ table, rows }));
}

export interface CopyTablesInput {
  /** The SQLite source; read in rowid order (every store table has a rowid). */
  readonly source: Kysely<Database>;
  /** The target, inside the transaction the whole copy runs in. */
  readonly target: Kysely<Database>;
  /** Row counts of the source per table (from `countRows`), for progress. */
  readonly totals: ReadonlyMap<CopiedTable, number>;
  readonly batchRows: number;
  readonly onProgress?: ((progress: TableCopyProgress) => void) | undefined;
}

/** Copy every table in `COPY_ORDER`; returns what was copied per table. */
export async function copyTables(input: CopyTablesInput): Promise<TableCopyReport[]> {
  const reports: TableCopyReport[] = [];
  for (const table of COPY_ORDER) {
    const total = input.totals.get(table) ?? 0;
    if (SEEDED_TABLES.has(table)) await sql`delete from ${sql.table(table)}`.execute(input.target);
    const copied = await copyTable(input, table, total);
    reports.push({ table, rows: total, copied });
  }
  return reports;
}

async function copyTable(input: CopyTablesInput, table: CopiedTable, total: number): Promise<number> {
  const target = input.target as unknown as AnyDb;
  let after = Number.MIN_SAFE_INTEGER;
  let copied = 0;
  for (;;) {
    const { rows } = await sql<Row>`
      select rowid as ${sql.id(ROWID)}, * from ${sql.table(table)}
      where rowid > ${after} order by rowid limit ${input.batchRows}`.execute(input.source);
    const last = rows.at(-1);
    if (last === undefined) break;
    after = toNum(last[ROWID]);
    const values = rows.map(withoutRowid);
    const columns = Object.keys(values[0] ?? {}).length;
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS_PER_STATEMENT / Math.max(1, columns)));
    for (let i = 0; i < values.length; i += perStatement) {
      await target.insertInto(table).values(values.slice(i, i + perStatement)).execute();
    }
    copied += values.length;
    input.onProgress?.({ table, copied, total, done: false });
  }
  input.onProgress?.({ table, copied, total, done: true });
  return copied;
}

function withoutRowid(row: Row): Row {
  const { [ROWID]: _rowid, ...rest } = row;
  return rest;
}

/**
 * PostgreSQL: rows were inserted with explicit identity values, which does not move the identity
 * sequences; set each past the highest copied value so new events and log lines get higher seqs.
 * Returns the highest event seq (0 when none).
 */
export async function advanceIdentitySequences(target: Kysely<Database>): Promise<number> {
  let lastEventSeq = 0;
  for (const { table, column } of IDENTITY_COLUMNS) {
    const { rows } = await sql<{ max: number | string | null }>`
      select max(${sql.ref(column)}) as max from ${sql.table(table)}`.execute(target);
    const max = rows[0]?.max === null || rows[0]?.max === undefined ? 0 : toNum(rows[0].max);
    // setval(seq, 1, false): the next value is 1 (an empty table).
    await sql`select setval(pg_get_serial_sequence(${table}, ${column}), ${Math.max(max, 1)}, ${max > 0})`.execute(target);
    if (table === 'events') lastEventSeq = max;
  }
  return lastEventSeq;
}
