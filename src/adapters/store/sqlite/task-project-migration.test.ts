import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { storeMigrationProvider } from '../sql/migrations/migrations.js';
import { legacyTaskRow } from './migration-test-rows.js';

interface Db {
  tasks: Record<string, unknown>;
}

describe('migration 0005-task-project on SQLite', () => {
  it("backfills the project column of older tasks from their spec (default when none or invalid)", async () => {
    const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }) });
    const migrator = new Migrator({ db, provider: storeMigrationProvider('sqlite') });
    expect((await migrator.migrateTo('0004-agents-and-budgets')).error).toBeUndefined();
    const row = (id: string, spec: Record<string, unknown>) => legacyTaskRow(id, JSON.stringify({ prompt: 'x', agent: 'shell', ...spec }));
    await db.insertInto('tasks').values([row('t1', { project: 'web' }), row('t2', {}), row('t3', { project: 'Bad Name' })]).execute();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const rows = await db.selectFrom('tasks').select(['id', 'project']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 't1', project: 'web' },
      { id: 't2', project: 'default' },
      { id: 't3', project: 'default' },
    ]);
    await db.destroy();
  });
});
