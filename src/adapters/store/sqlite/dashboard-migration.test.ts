import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { storeMigrationProvider } from '../sql/migrations/migrations.js';
import { legacyTaskRow } from './migration-test-rows.js';

interface Db {
  tasks: Record<string, unknown>;
}

describe('migration 0006-dashboard on SQLite', () => {
  it('backfills the search text of older tasks (lower-cased id and prompt)', async () => {
    const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }) });
    const migrator = new Migrator({ db, provider: storeMigrationProvider('sqlite') });
    expect((await migrator.migrateTo('0005-task-project')).error).toBeUndefined();
    await db
      .insertInto('tasks')
      .values([legacyTaskRow('T1', JSON.stringify({ prompt: 'Fix The Login', agent: 'shell' })), legacyTaskRow('t2', 'not json')])
      .execute();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const rows = await db.selectFrom('tasks').select(['id', 'search_text']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'T1', search_text: 't1\nfix the login' },
      { id: 't2', search_text: 't2\n' },
    ]);
    await db.destroy();
  });
});
