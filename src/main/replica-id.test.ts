import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../adapters/store/sqlite/sqlite-store.js';
import { SequentialIds } from '../core/ids.js';
import { silentLogger } from '../core/ports/logger.js';
import { REPLICA_ID_FILE, takeReplicaId } from './replica-id.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('takeReplicaId', () => {
  it('gives every start a new id, and frees the scheduler role the previous start died holding', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cortical-replica-'));
    dirs.push(dataDir);
    const store = await SqliteStore.create(':memory:');
    try {
      const ids = new SequentialIds();
      const first = await takeReplicaId({ dataDir, store, ids, nowMs: 1000, logger: silentLogger });
      expect(readFileSync(join(dataDir, REPLICA_ID_FILE), 'utf8').trim()).toBe(first);
      expect(first).toMatch(/^hq_/);
      // the first start holds the role and dies (no release)
      expect((await store.claimLeadership({ role: 'scheduler', holder: first, ttlMs: 60_000, nowMs: 1000 })).leader).toBe(true);

      const second = await takeReplicaId({ dataDir, store, ids, nowMs: 2000, logger: silentLogger });
      expect(second).not.toBe(first);
      expect(readFileSync(join(dataDir, REPLICA_ID_FILE), 'utf8').trim()).toBe(second);
      // long before the old role would have expired, the new start takes it (next term)
      expect(await store.claimLeadership({ role: 'scheduler', holder: second, ttlMs: 60_000, nowMs: 2000 })).toMatchObject({ leader: true, term: 2 });

      // a start whose predecessor does not hold the role leaves another replica's role alone
      await store.releaseLeadership({ role: 'scheduler', holder: second, nowMs: 2500 });
      expect((await store.claimLeadership({ role: 'scheduler', holder: 'hq_other', ttlMs: 60_000, nowMs: 2500 })).leader).toBe(true);
      const third = await takeReplicaId({ dataDir, store, ids, nowMs: 3000, logger: silentLogger });
      expect(third).not.toBe(second);
      expect(await store.getLeadership({ role: 'scheduler', asker: 'hq_other', nowMs: 3000 })).toMatchObject({ holder: 'hq_other', leader: true, term: 3 });
    } finally {
      await store.close();
    }
  });
});
