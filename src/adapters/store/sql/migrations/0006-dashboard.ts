import type { Kysely, Migration } from 'kysely';
import { taskSearchText } from '../search-text.js';

/**
 * What the dashboard reads without scanning:
 * - `tasks.search_text`: the lower-cased id and prompt (first 2,000 characters) for the task
 *   list's text search (`q`); backfilled for existing rows.
 * - `usage_hourly`: spend of the whole fleet per hour (epoch ms of the hour's start), written with
 *   the daily roll-up; the burn rate and the hourly chart read it.
 * - `tasks_finished_idx`: tasks that ended in a state since a time ("failed today").
 * - `events_type_idx`: the audit log reads the newest events of each audited type.
 */
export function dashboardMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('tasks').addColumn('search_text', 'text', (c) => c.notNull().defaultTo('')).execute();
      await backfill(db);
      await db.schema
        .createTable('usage_hourly')
        .addColumn('hour', 'bigint', (c) => c.primaryKey())
        .addColumn('tokens_in', 'bigint', (c) => c.notNull())
        .addColumn('tokens_out', 'bigint', (c) => c.notNull())
        .addColumn('usd', 'double precision', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tasks_finished_idx').on('tasks').columns(['state', 'finished_at']).execute();
      await db.schema.createIndex('events_type_idx').on('events').columns(['type', 'seq']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('events_type_idx').execute();
      await db.schema.dropIndex('tasks_finished_idx').execute();
      await db.schema.dropTable('usage_hourly').execute();
      await db.schema.alterTable('tasks').dropColumn('search_text').execute();
    },
  };
}

interface BackfillDb {
  tasks: { id: string; spec: string; search_text: string };
}

async function backfill(db: Kysely<BackfillDb>): Promise<void> {
  let after = '';
  for (;;) {
    const rows = await db.selectFrom('tasks').select(['id', 'spec']).where('id', '>', after).orderBy('id').limit(500).execute();
    for (const row of rows) {
      await db.updateTable('tasks').set({ search_text: taskSearchText(row.id, promptOf(row.spec)) }).where('id', '=', row.id).execute();
    }
    const last = rows.at(-1);
    if (last === undefined) return;
    after = last.id;
  }
}

function promptOf(spec: string): string {
  try {
    const parsed: unknown = JSON.parse(spec);
    const prompt = typeof parsed === 'object' && parsed !== null && 'prompt' in parsed ? parsed.prompt : undefined;
    return typeof prompt === 'string' ? prompt : '';
  } catch {
    return '';
  }
}
