import { afterEach, beforeEach, describe } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { SequentialIds } from '../../core/ids.js';
import type { Store } from '../../core/ports/store.js';
import type { ContractEnv } from './contract/contract-fixtures.js';
import { eventsLogsContract } from './contract/events-logs-contract.js';
import { leaseContract } from './contract/lease-contract.js';
import { nodeCommandContract } from './contract/node-command-contract.js';
import { nodeTokenContract } from './contract/node-token-contract.js';
import { reaperControlContract } from './contract/reaper-control-contract.js';
import { schedulingContract } from './contract/scheduling-contract.js';
import { taskContract } from './contract/task-contract.js';
import { usageBudgetContract } from './contract/usage-budget-contract.js';
import { usageRollupContract } from './contract/usage-rollup-contract.js';
import { resleeveProjectContract } from './contract/resleeve-project-contract.js';
import { taskEventsNewestContract } from './contract/task-events-newest-contract.js';
import { dashboardContract } from './contract/dashboard-contract.js';
import { leadershipContract } from './contract/leadership-contract.js';
import { safetyContract } from './contract/safety-contract.js';

/**
 * The contract every Store passes (SQLite and PostgreSQL run the same suite). `makeStore` returns
 * a store on an empty database; the suite migrates it and closes it after each test.
 */
export function describeStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let current: ContractEnv | null = null;

    beforeEach(async () => {
      const store = await makeStore();
      await store.migrate();
      current = { store, clock: new FakeClock(), ids: new SequentialIds() };
    });

    afterEach(async () => {
      await current?.store.close();
      current = null;
    });

    const env = (): ContractEnv => {
      if (current === null) throw new Error('store contract: no store (used outside a test?)');
      return current;
    };

    taskContract(env);
    usageBudgetContract(env);
    usageRollupContract(env);
    resleeveProjectContract(env);
    schedulingContract(env);
    leaseContract(env);
    reaperControlContract(env);
    eventsLogsContract(env);
    taskEventsNewestContract(env);
    dashboardContract(env);
    nodeTokenContract(env);
    nodeCommandContract(env);
    leadershipContract(env);
    safetyContract(env);
  });
}
