import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../sql/database.js';
import { storeMigrationProvider } from '../sql/migrations/migrations.js';
import { readTaskEventsNewestFirst } from '../sql/task-events-newest.js';

describe("reading a task's newest events on SQLite", () => {
  it('walks the index on events(task_id, seq), never the fleet-wide index on (type, seq)', async () => {
    const raw = new BetterSqlite3(':memory:');
    let seen: CompiledQuery | null = null;
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: raw }),
      log: (e) => {
        if (e.level === 'query' && e.query.sql.startsWith('select')) seen = e.query;
      },
    });
    expect((await new Migrator({ db, provider: storeMigrationProvider('sqlite') }).migrateToLatest()).error).toBeUndefined();
    await readTaskEventsNewestFirst(db, { taskId: 'task_1', types: ['iteration.finished'], beforeSeq: 100, limit: 50 });
    const q = seen as CompiledQuery | null;
    expect(q).not.toBeNull();
    const plan = raw.prepare(`EXPLAIN QUERY PLAN ${q!.sql}`).all(...(q!.parameters as unknown[])) as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING INDEX events_task_idx \(task_id=\? AND seq<\?\)/);
    expect(plan.map((p) => p.detail).join('\n')).not.toMatch(/TEMP B-TREE/);
    await db.destroy();
  });
});
