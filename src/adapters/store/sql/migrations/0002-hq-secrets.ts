import type { Kysely, Migration } from 'kysely';

/**
 * Secrets HQ keeps in the store so that every HQ replica uses the same ones (the key that signs
 * lease-scoped task credentials). One row per name; the first writer wins.
 */
export function hqSecretsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('hq_secrets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('hq_secrets').execute();
    },
  };
}
