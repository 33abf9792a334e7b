import type { Kysely, Migration } from 'kysely';

/**
 * `leaders`: one row per replica role (the scheduler) naming the HQ replica that holds it and
 * until when (see core/leadership.ts).
 */
export function leadersMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('leaders')
        .addColumn('role', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('term', 'bigint', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('leaders').execute();
    },
  };
}
