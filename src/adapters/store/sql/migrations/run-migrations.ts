import { Migrator, type Kysely } from 'kysely';
import { CorticalError } from '../../../../core/errors.js';
import type { SqlFlavor } from '../sql-flavor.js';
import { storeMigrationProvider } from './migrations.js';

export const MIGRATION_TABLE = 'store_migrations';
export const MIGRATION_LOCK_TABLE = 'store_migration_lock';

/**
 * Apply pending migrations; idempotent. `schema` (PostgreSQL) names the schema of the migration
 * tables, so that another schema's tables of the same name in the database are not taken for them.
 */
export async function runMigrations(db: Kysely<unknown>, flavor: SqlFlavor, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: storeMigrationProvider(flavor),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new CorticalError('INTERNAL', `store migration ${failed} failed: ${describe(error)}`, { migration: failed });
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
