import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The safety pipeline's tables:
 * - `pipeline_runs`: one row per pipeline run (state, spec, evidence);
 * - `tripcode_uses`: every accepted tripcode's nonce (single use, across restarts) and the code
 *   family it belongs to (cooldowns);
 * - `audit_seals` + `audit_head`: the hash chain over audited events, each link signed by HQ,
 *   and the signed head (so that a removed last link is detected too);
 * - the fleet lockdown (kill switch + T2/T3 denied) in the settings row.
 */
export function safetyMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('pipeline_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('intent', 'text', (c) => c.notNull())
        .addColumn('project', 'text')
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('snapshot_id', 'text')
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('pipeline_runs_created').on('pipeline_runs').columns(['created_at', 'id']).execute();

      await db.schema
        .createTable('tripcode_uses')
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('used_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tripcode_uses_family').on('tripcode_uses').columns(['family', 'used_at']).execute();

      await db.schema
        .createTable('audit_seals')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('event_seq', 'bigint', (c) => c.notNull().unique())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('entry', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('sig', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('event_seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('sig', 'text', (c) => c.notNull())
        .addColumn('sealed_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema.alterTable('settings').addColumn('lockdown_on', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('settings').addColumn('lockdown_reason', 'text').execute();
      await db.schema.alterTable('settings').addColumn('lockdown_changed_at', 'bigint').execute();
      await db.schema.alterTable('settings').addColumn('lockdown_changed_by', 'text').execute();
      await sql`update settings set lockdown_on = 0`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of ['audit_head', 'audit_seals', 'tripcode_uses', 'pipeline_runs']) await db.schema.dropTable(t).execute();
      for (const c of ['lockdown_changed_by', 'lockdown_changed_at', 'lockdown_reason', 'lockdown_on']) {
        await db.schema.alterTable('settings').dropColumn(c).execute();
      }
    },
  };
}
