import { describe, expect, it } from 'vitest';
import { CorticalError } from '../../../core/errors.js';
import { redactUrl, transientKind, translatePgError } from './pg-errors.js';
import { backoffMs } from './pg-retry.js';
import { dropSchemas, postgresReachable, uniqueSchema, withAdmin } from './postgres-test-db.js';

const reachable = await postgresReachable();

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('PostgreSQL error classification', () => {
  it('serialization failures and deadlocks rerun the transaction; broken or refused connections are connection errors', () => {
    expect(transientKind(withCode('could not serialize access', '40001'))).toBe('serialization');
    expect(transientKind(withCode('deadlock detected', '40P01'))).toBe('serialization');
    for (const code of ['08006', '08001', '08003', '57P01', '57P02', '57P03', '53300', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']) {
      expect([code, transientKind(withCode('x', code))]).toEqual([code, 'connection']);
    }
    expect(transientKind(new Error('Connection terminated unexpectedly'))).toBe('connection');
    expect(transientKind(new AggregateError([withCode('a', 'ECONNREFUSED'), withCode('b', 'ECONNREFUSED')]))).toBe('connection');
    for (const code of ['23505', '42P01', '42601', '22P02', '28P01']) expect(transientKind(withCode('x', code))).toBeNull();
    expect(transientKind(new CorticalError('CONFLICT', 'x'))).toBeNull();
  });

  it('translates into the error family; our own errors pass through', () => {
    const own = new CorticalError('LEASE_CONFLICT', 'stale');
    expect(translatePgError(own, 'db')).toBe(own);
    expect(translatePgError(withCode('null value in column "x"', '23502'), 'db')).toMatchObject({ code: 'CONFLICT' });
    expect(translatePgError(withCode('deadlock detected', '40P01'), 'db')).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(translatePgError(withCode('password authentication failed for user "x"', '28P01'), 'postgres://x:***@h/db')).toMatchObject({
      code: 'UNAVAILABLE',
      retryable: false,
      message: 'PostgreSQL at postgres://x:***@h/db refused the login: password authentication failed for user "x"',
    });
    expect(translatePgError(withCode('syntax error at or near "x"', '42601'), 'db')).toMatchObject({
      code: 'INTERNAL',
      message: 'database error (SQLSTATE 42601): syntax error at or near "x"',
    });
  });

  it('masks the password of a URL, in the userinfo and in a password parameter', () => {
    expect(redactUrl('postgres://hq:p%40ss@db.internal:5432/cortical')).toBe('postgres://hq:***@db.internal:5432/cortical');
    expect(redactUrl('postgresql://db/cortical?user=hq&password=secret')).toBe('postgresql://db/cortical?user=hq&password=***');
    expect(redactUrl('postgres://hq@db/cortical')).toBe('postgres://hq@db/cortical');
    expect(redactUrl('::not a url::')).toBe('(unparsable PostgreSQL URL)');
  });

  it('back-off grows exponentially up to the cap, with full jitter', () => {
    const policy = { attempts: 10, baseDelayMs: 10, maxDelayMs: 500 };
    expect([1, 2, 3, 4, 10].map((a) => backoffMs(policy, a, () => 1))).toEqual([10, 20, 40, 80, 500]);
    expect(backoffMs(policy, 5, () => 0)).toBe(0);
  });
});

describe.runIf(reachable)('PostgreSQL error classification on real server errors', () => {
  it('unique violation → CONFLICT; concurrent update under repeatable read → serialization (retryable)', async () => {
    const schema = uniqueSchema('errors');
    try {
      await withAdmin(async (a) => {
        await a.query(`create schema "${schema}"; create table "${schema}".t (id int primary key, v int)`);
        await a.query(`insert into "${schema}".t values (1, 1)`);
        const dup = await a.query(`insert into "${schema}".t values (1, 2)`).catch((e: unknown) => e);
        expect(transientKind(dup)).toBeNull();
        expect(translatePgError(dup, 'db')).toMatchObject({ code: 'CONFLICT', details: { driverCode: '23505', constraint: 't_pkey' } });

        await withAdmin(async (b) => {
          await a.query('begin isolation level repeatable read');
          await a.query(`select v from "${schema}".t where id = 1`);
          await b.query(`update "${schema}".t set v = 2 where id = 1`);
          const conflict = await a.query(`update "${schema}".t set v = 3 where id = 1`).catch((e: unknown) => e);
          await a.query('rollback');
          expect(transientKind(conflict)).toBe('serialization');
          expect(translatePgError(conflict, 'db')).toMatchObject({ code: 'UNAVAILABLE', retryable: true, details: { driverCode: '40001' } });
        });
      });
    } finally {
      await dropSchemas([schema]);
    }
  });
});
