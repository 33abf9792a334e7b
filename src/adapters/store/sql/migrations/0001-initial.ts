import { sql, type Kysely, type Migration, type SqlBool } from 'kysely';
import type { SqlFlavor } from '../sql-flavor.js';
import { identitySeqColumn, identitySeqConstraint } from './identity-column.js';

/**
 * The initial schema. Dialect-neutral: TEXT for strings and JSON, BIGINT for epoch milliseconds
 * and counters, DOUBLE PRECISION for money; only the identity columns differ by flavor.
 */
export function initialMigration(flavor: SqlFlavor): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('nodes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('capabilities', 'text', (c) => c.notNull())
        .addColumn('slots', 'bigint', (c) => c.notNull())
        .addColumn('liveness', 'text', (c) => c.notNull())
        .addColumn('scheduling', 'text', (c) => c.notNull())
        .addColumn('resources', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .addColumn('last_heartbeat_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('nodes_name_idx').on('nodes').columns(['name', 'id']).execute();
      await db.schema
        .createIndex('nodes_heartbeat_idx')
        .on('nodes')
        .columns(['liveness', 'last_heartbeat_at'])
        .execute();

      await db.schema
        .createTable('tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('message', 'text')
        .addColumn('desired', 'text', (c) => c.notNull())
        .addColumn('attempts', 'bigint', (c) => c.notNull())
        .addColumn('fencing_token', 'bigint', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.references('nodes.id'))
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('not_before', 'bigint', (c) => c.notNull())
        .addColumn('usage_iterations', 'bigint', (c) => c.notNull())
        .addColumn('usage_tokens_in', 'bigint', (c) => c.notNull())
        .addColumn('usage_tokens_out', 'bigint', (c) => c.notNull())
        .addColumn('usage_usd', 'double precision', (c) => c.notNull())
        .addColumn('runtime_ms', 'bigint', (c) => c.notNull())
        .addColumn('workspace_path', 'text')
        .addColumn('priority', 'bigint', (c) => c.notNull())
        .addColumn('agent', 'text', (c) => c.notNull())
        .addColumn('requires', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('row_version', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('tasks_queue_idx')
        .on('tasks')
        .columns(['state', 'priority desc', 'created_at', 'id'])
        .execute();
      await db.schema
        .createIndex('tasks_created_idx')
        .on('tasks')
        .columns(['created_at desc', 'id desc'])
        .execute();
      await db.schema.createIndex('tasks_node_idx').on('tasks').columns(['node_id', 'state']).execute();
      await db.schema
        .createIndex('tasks_lease_expiry_idx')
        .on('tasks')
        .column('lease_expires_at')
        .where(sql<SqlBool>`state in ('leased', 'running', 'paused')`)
        .execute();

      await db.schema
        .createTable('task_labels')
        .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('task_labels_pk', ['task_id', 'key'])
        .execute();
      await db.schema
        .createIndex('task_labels_kv_idx')
        .on('task_labels')
        .columns(['key', 'value', 'task_id'])
        .execute();

      await db.schema
        .createTable('guidance')
        .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addPrimaryKeyConstraint('guidance_pk', ['task_id', 'seq'])
        .execute();

      await db.schema
        .createTable('iteration_reports')
        .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
        .addColumn('attempt', 'bigint', (c) => c.notNull())
        .addColumn('iteration', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('iteration_reports_pk', ['task_id', 'attempt', 'iteration', 'kind'])
        .execute();

      await db.schema
        .createTable('events')
        .addColumn('seq', identitySeqColumn(flavor), (c) => identitySeqConstraint(flavor, c))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('task_id', 'text')
        .addColumn('node_id', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_task_idx').on('events').columns(['task_id', 'seq']).execute();

      await db.schema
        .createTable('task_logs')
        .addColumn('seq', identitySeqColumn(flavor), (c) => identitySeqConstraint(flavor, c))
        .addColumn('task_id', 'text', (c) => c.notNull().references('tasks.id'))
        .addColumn('attempt', 'bigint', (c) => c.notNull())
        .addColumn('iteration', 'bigint', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('task_logs_task_idx').on('task_logs').columns(['task_id', 'seq']).execute();

      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('node_id', 'text')
        .addColumn('label', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('single_use', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('tokens_node_idx').on('tokens').columns(['node_id', 'kind']).execute();
      await db.schema.createIndex('tokens_kind_role_idx').on('tokens').columns(['kind', 'role']).execute();

      await db.schema
        .createTable('settings')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('killswitch_on', 'bigint', (c) => c.notNull())
        .addColumn('killswitch_reason', 'text')
        .addColumn('killswitch_changed_at', 'bigint')
        .addColumn('killswitch_changed_by', 'text')
        .execute();
      await sql`insert into settings (id, killswitch_on) values (1, 0)`.execute(db);
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of [
        'settings',
        'tokens',
        'task_logs',
        'events',
        'iteration_reports',
        'guidance',
        'task_labels',
        'tasks',
        'nodes',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
