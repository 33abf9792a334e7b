import type { ColumnDefinitionBuilder } from 'kysely';
import type { SqlFlavor } from '../sql-flavor.js';

/**
 * Column type of an auto-increment sequence key. SQLite needs exactly `integer` for a rowid
 * alias (which is 64-bit); PostgreSQL uses a 64-bit identity column.
 */
export function identitySeqColumn(flavor: SqlFlavor): 'integer' | 'bigint' {
  return flavor === 'sqlite' ? 'integer' : 'bigint';
}

/** The primary-key and auto-increment clause of a sequence key. */
export function identitySeqConstraint(flavor: SqlFlavor, c: ColumnDefinitionBuilder): ColumnDefinitionBuilder {
  return flavor === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity();
}
