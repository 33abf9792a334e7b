import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildSqliteFleet, createDatabase, dropDatabase, type SqliteFleet } from '../../../../test/migrate/sqlite-fleet.js';
import { FakeClock } from '../../../core/clock.js';
import { SequentialIds } from '../../../core/ids.js';
import { silentLogger } from '../../../core/ports/logger.js';
import type { Store } from '../../../core/ports/store.js';
import type { TableCopyProgress } from '../../../core/ports/store-copy.js';
import { Hq } from '../../../services/hq/hq.js';
import { MemoryBus } from '../../bus/memory/memory-bus.js';
import { PostgresStore } from '../postgres/postgres-store.js';
import { postgresReachable, TEST_PG_DISPLAY, withAdmin } from '../postgres/postgres-test-db.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { COPY_ORDER } from './copy-store.js';
import { SqliteToPostgresCopier } from './sqlite-to-postgres-copier.js';

const MIGRATION_TABLES = ['store_migrations', 'store_migration_lock'];
const reachable = await postgresReachable();
if (!reachable) console.warn(`copy-store tests against PostgreSQL SKIPPED: no server at ${TEST_PG_DISPLAY} (set CORTICAL_TEST_PG_URL)`);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cortical-copy-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the copier covers every table', () => {
  it('COPY_ORDER lists exactly the tables of a migrated SQLite database', async () => {
    const file = join(dir, 'tables.db');
    await (await SqliteStore.create(file)).close();
    const raw = new BetterSqlite3(file, { readonly: true });
    const tables = (raw.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as { name: string }[])
      .map((r) => r.name)
      .filter((n) => !MIGRATION_TABLES.includes(n));
    raw.close();
    expect([...COPY_ORDER].sort()).toEqual(tables.sort());
  });

  it.skipIf(!reachable)('COPY_ORDER lists exactly the tables of a migrated PostgreSQL database', async () => {
    const db = await createDatabase();
    try {
      await (await PostgresStore.create(db.url)).close();
      const tables = await query<{ table_name: string }>(db.url, "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'");
      expect([...COPY_ORDER].sort()).toEqual(tables.map((r) => r.table_name).filter((n) => !MIGRATION_TABLES.includes(n)).sort());
    } finally {
      await dropDatabase(db.name);
    }
  });
});

describe.skipIf(!reachable)('copying an embedded fleet into PostgreSQL', () => {
  let sourceFile: string;
  let fleet: SqliteFleet;
  const databases: string[] = [];
  const stores: Store[] = [];

  beforeAll(async () => {
    sourceFile = join(dir, 'fleet.db');
    fleet = await buildSqliteFleet(sourceFile);
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const name of databases.splice(0)) await dropDatabase(name);
  });

  async function newDatabase(): Promise<string> {
    const db = await createDatabase();
    databases.push(db.name);
    return db.url;
  }
  async function open<T extends Store>(p: Promise<T>): Promise<T> {
    const s = await p;
    stores.push(s);
    return s;
  }

  it('copies every row, keeps event seqs and token hashes, and moves the identity sequences on', async () => {
    const url = await newDatabase();
    const progress: TableCopyProgress[] = [];
    const report = await new SqliteToPostgresCopier().copy({ fromSqlitePath: sourceFile, toPostgresUrl: url, dryRun: false, batchRows: 3, onProgress: (p) => progress.push(p) });

    expect(report.tables.map((t) => t.table)).toEqual([...COPY_ORDER]);
    for (const t of report.tables) expect(t.copied, t.table).toBe(t.rows);
    for (const table of ['tasks', 'task_labels', 'guidance', 'iteration_reports', 'task_logs', 'events', 'tokens', 'nodes', 'node_commands', 'hq_secrets', 'usage_daily', 'usage_hourly', 'budgets', 'settings']) {
      expect(report.tables.find((t) => t.table === table)?.rows, table).toBeGreaterThan(0);
    }
    expect(progress.filter((p) => p.done).map((p) => p.table)).toEqual([...COPY_ORDER]);
    const events = progress.filter((p) => p.table === 'events');
    expect(events.length).toBeGreaterThan(2); // batches of 3
    expect(events.at(-1)).toMatchObject({ copied: events.at(-1)!.total, done: true });

    const src = await open(SqliteStore.create(sourceFile));
    const dst = await open(PostgresStore.create(url));
    await expectSameContent(src, dst, fleet);
    expect(report.lastEventSeq).toBe(await src.lastEventSeq());

    // Tokens: only hashes were copied, and the plaintexts still authenticate.
    const hq = new Hq({ store: dst, bus: new MemoryBus(), clock: new FakeClock(fleet.nowMs), ids: new SequentialIds(), logger: silentLogger });
    expect(await dst.hasAdminToken()).toBe(true);
    expect(await hq.auth.ensureAdminToken()).toBeNull(); // no second admin token
    expect(await hq.auth.authenticate(fleet.adminToken)).toMatchObject({ role: 'admin' });
    expect(await hq.auth.authenticate(fleet.viewerToken)).toMatchObject({ role: 'viewer' });

    // New events and log lines continue after the copied ones.
    const last = await dst.lastEventSeq();
    await dst.appendEvents({ events: [{ type: 'task.guided', taskId: fleet.taskIds.running, nodeId: null, data: { text: 'after the move' } }], nowMs: fleet.nowMs + 1 });
    const after = await dst.readEvents({ afterSeq: last, limit: 10 });
    expect(after).toHaveLength(1);
    expect(after[0]!.seq).toBe(last + 1);
    const task = await hq.controls.guide(fleet.taskIds.running, 'second hint', 'bob');
    expect(task.seq).toBe(2);
  });

  it('refuses a target that already holds data, and changes nothing in it', async () => {
    const url = await newDatabase();
    await new SqliteToPostgresCopier().copy({ fromSqlitePath: sourceFile, toPostgresUrl: url, dryRun: false, batchRows: 500 });
    const before = await query<{ n: string }>(url, 'select count(*) as n from events');
    await expect(new SqliteToPostgresCopier().copy({ fromSqlitePath: sourceFile, toPostgresUrl: url, dryRun: false, batchRows: 500 })).rejects.toThrow(
      /target database .* is not empty \(nodes: 2, tasks: 5, .*events: \d+/,
    );
    await expect(new SqliteToPostgresCopier().copy({ fromSqlitePath: sourceFile, toPostgresUrl: url, dryRun: true, batchRows: 500 })).rejects.toThrow(/is not empty/);
    expect(await query<{ n: string }>(url, 'select count(*) as n from events')).toEqual(before);
  });

  it('a dry run counts rows and writes nothing, not even the schema', async () => {
    const url = await newDatabase();
    const report = await new SqliteToPostgresCopier().copy({ fromSqlitePath: sourceFile, toPostgresUrl: url, dryRun: true, batchRows: 500 });
    expect(report.dryRun).toBe(true);
    expect(report.copiedRows).toBe(0);
    expect(report.tables.find((t) => t.table === 'tasks')?.rows).toBe(5);
    expect(report.totalRows).toBeGreaterThan(20);
    expect(await query(url, "select to_regclass('tasks') as t")).toEqual([{ t: null }]);
  });

  it('a failure part-way leaves the target empty (one transaction)', async () => {
    const broken = join(dir, 'broken.db');
    await buildSqliteFleet(broken);
    // A label of a task that does not exist: the target's foreign key rejects it after the
    // nodes and tasks were inserted.
    const raw = new BetterSqlite3(broken);
    raw.pragma('foreign_keys = OFF');
    raw.prepare("insert into task_labels (task_id, key, value) values ('no-such-task', 'k', 'v')").run();
    raw.close();
    const url = await newDatabase();
    await expect(new SqliteToPostgresCopier().copy({ fromSqlitePath: broken, toPostgresUrl: url, dryRun: false, batchRows: 500 })).rejects.toThrow(/constraint|foreign key/);
    expect(await query<{ n: string }>(url, 'select (select count(*) from tasks) + (select count(*) from nodes) as n')).toEqual([{ n: '0' }]);
  });

  it('refuses a source that an HQ has open, or whose schema is behind', async () => {
    const url = await newDatabase();
    const hq = await SqliteStore.create(sourceFile);
    try {
      await hq.getKillSwitch();
      await expect(new SqliteToPostgresCopier().copy({ fromSqlitePath: sourceFile, toPostgresUrl: url, dryRun: true, batchRows: 500 })).rejects.toThrow(/in use by another process/);
    } finally {
      await hq.close();
    }
    const old = join(dir, 'old.db');
    await (await SqliteStore.create(old)).close();
    const raw = new BetterSqlite3(old);
    raw.prepare("delete from store_migrations where name = '0007-events-commit-order'").run();
    raw.close();
    await expect(new SqliteToPostgresCopier().copy({ fromSqlitePath: old, toPostgresUrl: url, dryRun: false, batchRows: 500 })).rejects.toThrow(
      /older schema .*start the embedded HQ of this version on it once/,
    );
    await expect(new SqliteToPostgresCopier().copy({ fromSqlitePath: join(dir, 'missing.db'), toPostgresUrl: url, dryRun: false, batchRows: 500 })).rejects.toThrow(/no SQLite database at/);
    expect(await query(url, "select to_regclass('tasks') as t")).toEqual([{ t: null }]);
  });
});

/** Everything the Store port shows is the same on both sides. */
async function expectSameContent(src: Store, dst: Store, fleet: SqliteFleet): Promise<void> {
  const allTasks = async (s: Store) => (await s.listTasks({ limit: 100 })).items;
  const srcTasks = await allTasks(src);
  expect(srcTasks).toHaveLength(5);
  expect(await allTasks(dst)).toEqual(srcTasks);
  expect(new Set(srcTasks.map((t) => t.state))).toEqual(new Set(['succeeded', 'failed', 'running', 'cancelled', 'queued']));
  expect(await dst.countTasksByState()).toEqual(await src.countTasksByState());
  const srcEvents = await src.readEvents({ afterSeq: 0, limit: 10_000 });
  expect(srcEvents.length).toBeGreaterThan(10);
  expect(await dst.readEvents({ afterSeq: 0, limit: 10_000 })).toEqual(srcEvents);
  expect(await dst.lastEventSeq()).toBe(await src.lastEventSeq());
  for (const t of srcTasks) {
    expect(await dst.readLogs({ taskId: t.id, afterSeq: 0, limit: 1000 })).toEqual(await src.readLogs({ taskId: t.id, afterSeq: 0, limit: 1000 }));
    expect(await dst.listGuidance(t.id)).toEqual(await src.listGuidance(t.id));
    expect(await dst.listNodeCommands({ taskId: t.id, limit: 100 })).toEqual(await src.listNodeCommands({ taskId: t.id, limit: 100 }));
  }
  expect((await src.readLogs({ taskId: fleet.taskIds.running, afterSeq: 0, limit: 1000 })).length).toBe(2);
  expect((await src.listGuidance(fleet.taskIds.running)).length).toBe(1);
  const nodes = async (s: Store) => (await s.listNodes({ limit: 100 })).items;
  expect(await nodes(dst)).toEqual(await nodes(src));
  for (const id of fleet.nodeIds) expect(await dst.getNode(id)).toEqual(await src.getNode(id));
  expect(await dst.listBudgets()).toEqual(await src.listBudgets());
  expect(await dst.getKillSwitch()).toEqual(await src.getKillSwitch());
  expect((await dst.getKillSwitch()).on).toBe(true);
  for (const by of ['project', 'node', 'day'] as const) {
    const input = { by, days: 7, nowMs: fleet.nowMs, limit: 100, offset: 0 };
    const rows = await src.usageReport(input);
    expect(rows.length, by).toBeGreaterThan(0);
    expect(await dst.usageReport(input)).toEqual(rows);
  }
  const hourly = { sinceMs: 0, untilMs: fleet.nowMs + 3_600_000 };
  expect((await src.usageHourly(hourly)).length).toBeGreaterThan(0);
  expect(await dst.usageHourly(hourly)).toEqual(await src.usageHourly(hourly));
}

async function query<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  return withAdmin(async (client) => (await client.query(text)).rows as T[], url);
}
