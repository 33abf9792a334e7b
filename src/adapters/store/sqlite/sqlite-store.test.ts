import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorticalError } from '../../../core/errors.js';
import { describeStoreContract } from '../store.contract.js';
import { SqliteStore } from './sqlite-store.js';

describeStoreContract('SqliteStore :memory:', () => Promise.resolve(SqliteStore.open(':memory:')));

describe('SqliteStore on a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps data across close and reopen, and migrates idempotently', async () => {
    const file = join(dir, 'hq.db');
    const first = await SqliteStore.create(file);
    await first.registerNode({
      id: 'node_1',
      name: 'mini',
      capabilities: ['shell'],
      slots: 1,
      resources: { cpuCount: 1, loadAvg1: 0, memTotalMb: 1, memFreeMb: 1 },
      version: '1',
      nowMs: 1,
    });
    await first.setKillSwitch({ on: true, reason: 'r', nowMs: 2, actor: 'a' });
    const seq = await first.lastEventSeq();
    await first.close();
    await first.close();

    const second = await SqliteStore.create(file);
    try {
      expect((await second.getNode('node_1'))?.name).toBe('mini');
      expect((await second.getKillSwitch()).on).toBe(true);
      expect(await second.lastEventSeq()).toBe(seq);
      await second.appendEvents({ events: [{ type: 'node.lost', taskId: null, nodeId: 'node_1', data: {} }], nowMs: 3 });
      expect(await second.lastEventSeq()).toBeGreaterThan(seq);
    } finally {
      await second.close();
    }
  });

  it('uses WAL and foreign keys', async () => {
    const file = join(dir, 'wal.db');
    const store = await SqliteStore.create(file);
    await store.close();
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(file);
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  // Two connections to one file in one process: the second writer cannot wait for the first
  // (the driver is synchronous), so it gives up after its short busy timeout.
  it('two stores on one file: a single-use join token is consumed once', async () => {
    const file = join(dir, 'shared.db');
    const a = await SqliteStore.create(file, { busyTimeoutMs: 50 });
    const b = await SqliteStore.create(file, { busyTimeoutMs: 50 });
    try {
      await a.createToken({
        id: 'tok_1',
        kind: 'join',
        role: 'node',
        secretHash: 'h',
        nodeId: null,
        label: null,
        nowMs: 1,
        expiresAt: null,
        singleUse: true,
        actor: 'x',
      });
      const results = await Promise.allSettled([
        a.consumeJoinToken({ id: 'tok_1', secretHash: 'h', nowMs: 2 }),
        b.consumeJoinToken({ id: 'tok_1', secretHash: 'h', nowMs: 2 }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failure = results.find((r) => r.status === 'rejected');
      expect((failure as PromiseRejectedResult).reason).toBeInstanceOf(CorticalError);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
