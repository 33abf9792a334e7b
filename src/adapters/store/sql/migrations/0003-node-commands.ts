import type { Kysely, Migration } from 'kysely';

/**
 * Node commands: snapshot / revert / list snapshots of a task's workspace, queued by HQ for the
 * node that holds the workspace, delivered with heartbeats, finished by the node's report.
 */
export function nodeCommandsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('node_commands')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('task_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('args', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      // "pending commands of node X, oldest first"
      await db.schema
        .createIndex('node_commands_pending_idx')
        .on('node_commands')
        .columns(['node_id', 'state', 'created_at', 'id'])
        .execute();
      // "a task's commands, newest first"
      await db.schema
        .createIndex('node_commands_task_idx')
        .on('node_commands')
        .columns(['task_id', 'created_at', 'id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('node_commands').execute();
    },
  };
}
