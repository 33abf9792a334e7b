/**
 * `cortical migrate` as a user runs it (bin/cortical.js as a child process): a real embedded HQ
 * is refused while it runs, then its database is copied into PostgreSQL; the password in the
 * URL never shows; dry run, a non-empty target and bad arguments.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresReachable, TEST_PG_DISPLAY } from '../../src/adapters/store/postgres/postgres-test-db.js';
import { PostgresStore } from '../../src/adapters/store/postgres/postgres-store.js';
import { COPY_ORDER } from '../../src/adapters/store/sql/copy-store.js';
import { api, baseEnv, cortical, CorticalDaemon, tempDir } from '../e2e/cortical-process.js';
import { buildSqliteFleet, createDatabase, dropDatabase } from './sqlite-fleet.js';

const reachable = await postgresReachable();
if (!reachable) console.warn(`cortical migrate CLI tests SKIPPED: no PostgreSQL at ${TEST_PG_DISPLAY} (set CORTICAL_TEST_PG_URL)`);

const PASSWORD = 'pw-that-must-not-leak';

/** The database URL with a password in it (the test server trusts local logins and ignores it). */
function withPassword(url: string): string {
  const u = new URL(url);
  if (u.password === '') u.password = PASSWORD;
  return u.toString();
}

// Each command is a fresh Node.js process (a few seconds on a busy machine).
describe.skipIf(!reachable)('cortical migrate', { timeout: 180_000 }, () => {
  let root: { path: string; remove(): Promise<void> };
  const databases: string[] = [];

  beforeAll(async () => {
    root = await tempDir('migrate');
  });
  afterAll(async () => {
    for (const name of databases) await dropDatabase(name);
    await root.remove();
  });

  async function newDatabase(): Promise<string> {
    const db = await createDatabase('cortical_migrate_cli');
    databases.push(db.name);
    return withPassword(db.url);
  }

  it('refuses while the embedded HQ runs, then copies its database once it is stopped', async () => {
    const home = join(root.path, 'embedded');
    const env = baseEnv({ CORTICAL_HOME: home });
    const hq = new CorticalDaemon(['hq', '--port', '0'], env);
    let url: string;
    let adminToken: string;
    try {
      url = (await hq.waitFor(/(http:\/\/127\.0\.0\.1:\d+)/))[1]!;
      adminToken = (await readFile(join(home, 'admin.token'), 'utf8')).trim();
      const created = await api(url, adminToken, 'POST', '/api/v1/tasks', { prompt: 'carried over', labels: { from: 'sqlite' } });
      expect(created.status).toBe(201);
      const dbFile = join(home, 'cortical.db');
      expect(existsSync(dbFile)).toBe(true);

      const target = await newDatabase();
      const busy = await cortical(['migrate', '--from', `sqlite:${dbFile}`, '--to', target], env);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/in use by another process .*stop it and run migrate again/);
      await hq.stop();

      const done = await cortical(['migrate', '--from', `sqlite:${dbFile}`, '--to', target, '--json'], env);
      expect(done.code, done.stderr).toBe(0);
      const report = JSON.parse(done.stdout) as { dryRun: boolean; copiedRows: number; totalRows: number; to: string; lastEventSeq: number; tables: { table: string }[] };
      expect(report.dryRun).toBe(false);
      expect(report.copiedRows).toBe(report.totalRows);
      expect(report.tables.find((t) => t.table === 'tasks')).toEqual({ table: 'tasks', rows: 1, copied: 1 });
      expect(report.to).toContain('***');
      expect(done.stderr).toMatch(/^tasks: 1\/1 rows copied$/m);
      expect(done.stdout + done.stderr).not.toContain(PASSWORD);

      const store = await PostgresStore.create(target);
      try {
        const tasks = await store.listTasks({ limit: 10 });
        expect(tasks.items.map((t) => [t.id, t.spec.prompt, t.spec.labels])).toEqual([[created.json.id, 'carried over', { from: 'sqlite' }]]);
        expect(await store.lastEventSeq()).toBe(report.lastEventSeq);
        expect(await store.hasAdminToken()).toBe(true);
      } finally {
        await store.close();
      }
    } finally {
      await hq.stop();
    }
  });

  it('prints a table and a summary; a dry run writes nothing; a non-empty target is refused', async () => {
    const file = join(root.path, 'fleet.db');
    await buildSqliteFleet(file);
    const env = baseEnv({ CORTICAL_HOME: join(root.path, 'client') });
    const target = await newDatabase();

    const dry = await cortical(['migrate', '--from', `sqlite:${file}`, '--to', target, '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^TABLE\s+ROWS\s+COPIED$/m);
    expect(dry.stdout).toMatch(/^tasks\s+5\s+-$/m);
    expect(dry.stdout).toMatch(new RegExp(`dry run: \\d+ rows in ${COPY_ORDER.length} tables .* nothing was written`));

    const copy = await cortical(['migrate', '--from', `sqlite:${file}`, '--to', target, '--batch', '2'], env);
    expect(copy.code, copy.stderr).toBe(0);
    expect(copy.stdout).toMatch(/^tasks\s+5\s+5$/m);
    expect(copy.stdout).toMatch(new RegExp(`copied \\d+ rows in ${COPY_ORDER.length} tables .* events continue after seq \\d+`));
    expect(copy.stderr).toMatch(/^events: (\d+)\/\1 rows copied$/m);

    const again = await cortical(['migrate', '--from', `sqlite:${file}`, '--to', target], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/error: the target database .* is not empty \(nodes: 2, tasks: 5/);
    for (const r of [dry, copy, again]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it('bad arguments are usage errors (exit 2) that say what is accepted', async () => {
    const env = baseEnv({ CORTICAL_HOME: join(root.path, 'client') });
    const [noScheme, badTarget, badBatch, missing] = await Promise.all([
      cortical(['migrate', '--from', '/tmp/x.db', '--to', 'postgres://localhost/x'], env),
      cortical(['migrate', '--from', 'sqlite:/tmp/x.db', '--to', `mysql://root:${PASSWORD}@localhost/x`], env),
      cortical(['migrate', '--from', 'sqlite:/tmp/x.db', '--to', 'postgres://localhost/x', '--batch', '0'], env),
      cortical(['migrate', '--from', `sqlite:${join(root.path, 'nope.db')}`, '--to', 'postgres://localhost/x'], env),
    ]);
    expect(noScheme.code).toBe(2);
    expect(noScheme.stderr).toContain('--from must be sqlite:PATH');
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('--to must be a postgres:// or postgresql:// URL');
    expect(badTarget.stderr).not.toContain(PASSWORD);
    expect(badBatch.code).toBe(2);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no SQLite database at');
  });
});
