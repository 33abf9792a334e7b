import type { Kysely, Migration } from 'kysely';

/**
 * Agents: how each guidance was delivered (live, interrupt_resume, next_iteration); usage rolled
 * up per UTC day, project and node (cost reports, daily budgets); and the daily budgets of
 * projects and of the fleet (project `*`).
 */
export function agentsAndBudgetsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('guidance').addColumn('delivery_mode', 'text').execute();
      await db.schema
        .createTable('usage_daily')
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('tokens_in', 'bigint', (c) => c.notNull())
        .addColumn('tokens_out', 'bigint', (c) => c.notNull())
        .addColumn('usd', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('usage_daily_pk', ['day', 'project', 'node_id'])
        .execute();
      await db.schema
        .createTable('budgets')
        .addColumn('project', 'text', (c) => c.primaryKey())
        .addColumn('daily_usd', 'double precision')
        .addColumn('daily_tokens', 'bigint')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('budgets').execute();
      await db.schema.dropTable('usage_daily').execute();
      await db.schema.alterTable('guidance').dropColumn('delivery_mode').execute();
    },
  };
}
