import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorticalError } from '../../../core/errors.js';
import { makeSpec, nodeRegistration } from '../contract/contract-fixtures.js';
import type { RetryNotice } from './pg-retry.js';
import { PostgresStore } from './postgres-store.js';
import { dropSchemas, postgresReachable, TEST_PG_DISPLAY, TEST_PG_URL, uniqueSchema, withAdmin } from './postgres-test-db.js';

const reachable = await postgresReachable();
const T0 = 1_790_000_000_000;

async function caught(call: Promise<unknown>): Promise<CorticalError> {
  try {
    await call;
  } catch (e) {
    expect(e).toBeInstanceOf(CorticalError);
    return e as CorticalError;
  }
  throw new Error('expected the call to fail');
}

/** A URL like the test server's, with a password and another database or port. */
function variantUrl(change: (u: URL) => void): string {
  const u = new URL(TEST_PG_URL);
  u.password = 'S3cret-Pw';
  change(u);
  return u.toString();
}

async function backendsOf(applicationName: string, waitingOnLock = false): Promise<number> {
  return withAdmin(async (c) => {
    const r = await c.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity where application_name = $1 ${waitingOnLock ? "and wait_event_type = 'Lock'" : ''}`,
      [applicationName],
    );
    return Number(r.rows[0]?.n ?? 0);
  });
}

async function terminateBackendsOf(applicationName: string): Promise<number> {
  return withAdmin(async (c) => {
    const r = await c.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [applicationName]);
    return r.rowCount ?? 0;
  });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(reachable)('PostgresStore: transient and permanent errors', () => {
  let schema: string;
  let app: string;
  let notices: RetryNotice[];
  let store: PostgresStore;

  beforeEach(async () => {
    schema = uniqueSchema('faults');
    app = `cortical-test-${schema}`;
    notices = [];
    store = await PostgresStore.create(TEST_PG_URL, { schema, poolSize: 3, applicationName: app, onRetry: (n) => notices.push(n) });
  });

  afterEach(async () => {
    await store.close();
    await dropSchemas([schema]);
  });

  it('connections killed while idle: the next operations succeed on fresh connections', async () => {
    await store.createTask({ id: 'before', spec: makeSpec(), nowMs: T0, actor: 'tester' });
    expect(await terminateBackendsOf(app)).toBeGreaterThan(0);
    await store.createTask({ id: 'after', spec: makeSpec(), nowMs: T0 + 1, actor: 'tester' });
    expect((await store.getTask('before'))?.state).toBe('queued');
    expect((await store.listTasks({ limit: 10 })).items.map((t) => t.id)).toEqual(['after', 'before']);
  });

  it('connections killed in the middle of a statement and of a transaction: both are run again and succeed', async () => {
    await store.createTask({ id: 'seen', spec: makeSpec(), nowMs: T0, actor: 'tester' });
    await withAdmin(async (admin) => {
      // Hold the tasks table so that the store's next statements wait on it, then kill them.
      await admin.query('begin');
      await admin.query(`lock table "${schema}".tasks in access exclusive mode`);
      const read = store.getTask('seen');
      const write = store.createTask({ id: 'new', spec: makeSpec(), nowMs: T0 + 1, actor: 'tester' });
      await until(async () => (await backendsOf(app, true)) === 2, 'two blocked statements');
      expect(await terminateBackendsOf(app)).toBeGreaterThanOrEqual(2);
      await admin.query('commit');
      expect((await read)?.id).toBe('seen');
      expect((await write).id).toBe('new');
    });
    expect([...new Set(notices.map((n) => n.scope))].sort()).toEqual(['statement', 'transaction']);
    expect(notices.every((n) => n.kind === 'connection')).toBe(true);
    expect(notices.some((n) => n.code === '57P01')).toBe(true);
    expect(await store.readEvents({ afterSeq: 0, limit: 10, types: ['task.created'] })).toHaveLength(2);
  });

  it('a permanent error surfaces at once with the SQLSTATE and the server message, without retries', async () => {
    await withAdmin((c) => c.query(`drop table "${schema}".task_labels, "${schema}".tasks cascade`));
    const err = await caught(store.getTask('x'));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toMatch(/SQLSTATE 42P01.*relation "tasks" does not exist/);
    const inTx = await caught(store.createTask({ id: 'x', spec: makeSpec(), nowMs: T0, actor: 'tester' }));
    expect(inTx.message).toMatch(/SQLSTATE 42P01/);
    expect(notices).toEqual([]);
  });

  it('counts and 64-bit columns come back as numbers', async () => {
    await store.registerNode({ ...nodeRegistration({ slots: 3 }), id: 'n1', nowMs: T0 });
    await store.createTask({ id: 't1', spec: makeSpec({ priority: 5 }), nowMs: T0 + 1, actor: 'tester' });
    const granted = await store.commitPlan({ plan: { placements: [{ taskId: 't1', nodeId: 'n1' }], unplaced: [] }, nowMs: T0 + 2, leaseTtlMs: 60_000 });
    const task = granted.granted[0];
    expect(task?.leaseExpiresAt).toBe(T0 + 2 + 60_000);
    const stored = await store.getTask('t1');
    expect(stored).toMatchObject({ createdAt: T0 + 1, leaseExpiresAt: T0 + 60_002, fencingToken: 1, attempts: 1 });
    for (const v of [stored?.createdAt, stored?.updatedAt, stored?.fencingToken, stored?.attempts, stored?.notBefore]) expect(typeof v).toBe('number');
    const counts = await store.countTasksByState();
    expect(counts.leased).toBe(1);
    expect(Object.values(counts).every((n) => typeof n === 'number')).toBe(true);
    const node = await store.getNode('n1');
    expect({ slots: node?.slots, activeLeases: node?.activeLeases, joinedAt: node?.joinedAt }).toEqual({ slots: 3, activeLeases: 1, joinedAt: T0 });
    const seq = await store.lastEventSeq();
    expect(typeof seq).toBe('number');
    const events = await store.readEvents({ afterSeq: 0, limit: 10 });
    expect(events.map((e) => typeof e.seq)).toEqual(events.map(() => 'number'));
    expect(events.at(-1)?.seq).toBe(seq);
    expect((await store.countFinishedSince(0)).succeeded).toBe(0);
  });
});

describe.runIf(reachable)('PostgresStore: reaching the server', () => {
  it('an unknown database is UNAVAILABLE with a clear message and the password masked', async () => {
    const url = variantUrl((u) => (u.pathname = '/cortical_no_such_database'));
    const err = await caught(PostgresStore.create(url, { retry: { attempts: 2, baseDelayMs: 1 } }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('cortical_no_such_database');
    expect(err.message).toContain('***');
    expect(err.message).not.toContain('S3cret-Pw');
  });

  it('a server that refuses connections is retried a bounded number of times, then UNAVAILABLE (retryable)', async () => {
    const notices: RetryNotice[] = [];
    const url = variantUrl((u) => (u.port = '1'));
    const err = await caught(PostgresStore.create(url, { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, onRetry: (n) => notices.push(n) }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/PostgreSQL at postgres(?:ql)?:\/\/[^@ ]*:\*\*\*@[^/ ]+:1\//);
    expect(err.message).not.toContain('S3cret-Pw');
    expect(notices.map((n) => [n.scope, n.attempt])).toEqual([
      ['connect', 1],
      ['connect', 2],
    ]);
  });

  it('bad options and URLs are VALIDATION_FAILED saying what is accepted', () => {
    expect(() => PostgresStore.open('mysql://x@localhost/db')).toThrow(/postgres:\/\/ or postgresql:\/\//);
    expect(() => PostgresStore.open('not a url')).toThrow(/needs a URL like postgres:\/\//);
    expect(() => PostgresStore.open(TEST_PG_URL, { schema: 'Bad-Name' })).toThrow(/schema/);
    expect(() => PostgresStore.open(TEST_PG_URL, { poolSize: 0 })).toThrow(/poolSize/);
  });
});

describe.runIf(!reachable)('PostgresStore: transient and permanent errors', () => {
  it.skip(`skipped: no PostgreSQL at ${TEST_PG_DISPLAY} (set CORTICAL_TEST_PG_URL)`, () => undefined);
});
