import type { Migration, MigrationProvider } from 'kysely';
import type { SqlFlavor } from '../sql-flavor.js';
import { initialMigration } from './0001-initial.js';
import { hqSecretsMigration } from './0002-hq-secrets.js';
import { nodeCommandsMigration } from './0003-node-commands.js';
import { agentsAndBudgetsMigration } from './0004-agents-and-budgets.js';
import { taskProjectMigration } from './0005-task-project.js';
import { dashboardMigration } from './0006-dashboard.js';
import { eventsCommitOrderMigration } from './0007-events-commit-order.js';
import { leadersMigration } from './0008-leaders.js';
import { safetyMigration } from './0009-safety.js';

/** Every migration, keyed by a name that sorts in the order they apply. */
export function storeMigrations(flavor: SqlFlavor): Readonly<Record<string, Migration>> {
  return {
    '0001-initial': initialMigration(flavor),
    '0002-hq-secrets': hqSecretsMigration(),
    '0003-node-commands': nodeCommandsMigration(),
    '0004-agents-and-budgets': agentsAndBudgetsMigration(),
    '0005-task-project': taskProjectMigration(),
    '0006-dashboard': dashboardMigration(),
    '0007-events-commit-order': eventsCommitOrderMigration(flavor),
    '0008-leaders': leadersMigration(),
    '0009-safety': safetyMigration(),
  };
}

export function storeMigrationProvider(flavor: SqlFlavor): MigrationProvider {
  return {
    getMigrations: () => Promise.resolve(storeMigrations(flavor)),
  };
}
