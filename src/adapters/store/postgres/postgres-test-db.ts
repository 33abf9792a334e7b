import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { redactUrl } from './pg-errors.js';

/** The server the PostgreSQL tests use: env CORTICAL_TEST_PG_URL, else the local default. */
export const TEST_PG_URL = process.env.CORTICAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_PG_DISPLAY = redactUrl(TEST_PG_URL);

/** Whether the test server answers (checked once per test file, within 3 s). */
export async function postgresReachable(url = TEST_PG_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A unique schema name for one test; the store creates it in `migrate()`. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Run statements on the test server outside any store (set-up, fault injection, clean-up). */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>, url = TEST_PG_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  await withAdmin(async (c) => {
    for (const s of schemas) await c.query(`drop schema if exists "${s}" cascade`);
  });
}
