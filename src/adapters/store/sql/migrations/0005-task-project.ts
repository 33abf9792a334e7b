import type { Kysely, Migration } from 'kysely';

/**
 * Tasks get a `project` column (lists filtered by project, index with the newest-first order);
 * existing rows take the project from their spec (`default` when it has none). The backfill reads
 * and writes through plain queries so it runs the same on every SQL flavour.
 */
export function taskProjectMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('tasks').addColumn('project', 'text', (c) => c.notNull().defaultTo('default')).execute();
      await backfill(db);
      await db.schema.createIndex('tasks_project_idx').on('tasks').columns(['project', 'created_at desc', 'id desc']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('tasks_project_idx').execute();
      await db.schema.alterTable('tasks').dropColumn('project').execute();
    },
  };
}

interface BackfillDb {
  tasks: { id: string; spec: string; project: string };
}

const PROJECT = /^[a-z0-9][a-z0-9._-]{0,62}$/;

async function backfill(db: Kysely<BackfillDb>): Promise<void> {
  let after = '';
  for (;;) {
    const rows = await db.selectFrom('tasks').select(['id', 'spec']).where('id', '>', after).orderBy('id').limit(500).execute();
    for (const row of rows) {
      const project = projectOfSpec(row.spec);
      if (project !== 'default') await db.updateTable('tasks').set({ project }).where('id', '=', row.id).execute();
    }
    const last = rows.at(-1);
    if (last === undefined) return;
    after = last.id;
  }
}

function projectOfSpec(spec: string): string {
  try {
    const parsed: unknown = JSON.parse(spec);
    const project = typeof parsed === 'object' && parsed !== null && 'project' in parsed ? parsed.project : undefined;
    return typeof project === 'string' && PROJECT.test(project) ? project : 'default';
  } catch {
    return 'default';
  }
}
