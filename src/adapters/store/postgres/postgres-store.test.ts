import { afterEach, describe, it } from 'vitest';
import { describeStoreContract } from '../store.contract.js';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, postgresReachable, TEST_PG_DISPLAY, TEST_PG_URL, uniqueSchema } from './postgres-test-db.js';

const reachable = await postgresReachable();

// Every test gets a schema of its own (search_path), dropped after the test.
describe.runIf(reachable)('PostgresStore (a fresh schema per test)', () => {
  const schemas: string[] = [];
  afterEach(async () => {
    await dropSchemas(schemas.splice(0));
  });

  describeStoreContract('PostgresStore', () => {
    const schema = uniqueSchema('contract');
    schemas.push(schema);
    return Promise.resolve(PostgresStore.open(TEST_PG_URL, { schema, poolSize: 4 }));
  });
});

describe.runIf(!reachable)('PostgresStore', () => {
  it.skip(`skipped: no PostgreSQL at ${TEST_PG_DISPLAY} (set CORTICAL_TEST_PG_URL)`, () => undefined);
});
