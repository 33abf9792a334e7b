import type { Kysely, Migration } from 'kysely';
import { createEventsCommitOrderTrigger, dropEventsCommitOrderTrigger } from '../postgres/events-commit-order-trigger.js';
import type { SqlFlavor } from '../sql-flavor.js';

/**
 * Events become visible in the order of their seq, however many writers there are. SQLite's
 * single writer already guarantees it; PostgreSQL gets a trigger that orders event-writing
 * transactions (see `events-commit-order-trigger.ts`).
 */
export function eventsCommitOrderMigration(flavor: SqlFlavor): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (flavor === 'postgres') await createEventsCommitOrderTrigger(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (flavor === 'postgres') await dropEventsCommitOrderTrigger(db);
    },
  };
}
