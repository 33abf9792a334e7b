/** The initial admin token when several HQ processes share one store (real SQLite store). */
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory/memory-bus.js';
import { SystemClock } from '../adapters/clock/system/system-clock.js';
import { RandomIds } from '../adapters/ids/random/random-ids.js';
import { SqliteStore } from '../adapters/store/sqlite/sqlite-store.js';
import type { Logger } from '../core/ports/logger.js';
import { silentLogger } from '../core/ports/logger.js';
import { Hq } from '../services/hq/hq.js';
import { ADMIN_TOKEN_CLAIM, ensureInitialAdminToken } from './admin-token.js';

let dir: string;
let store: SqliteStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cortical-admin-token-'));
  store = await SqliteStore.create(join(dir, 'cortical.db'));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function replica(name: string, lines: { msg: string; obj: Readonly<Record<string, unknown>> }[]) {
  const clock = new SystemClock();
  const logger: Logger = { ...silentLogger, warn: (obj, msg) => lines.push({ obj, msg }), info: (obj, msg) => lines.push({ obj, msg }), child: () => logger };
  const hq = new Hq({ store, bus: new MemoryBus(silentLogger), clock, ids: new RandomIds(() => clock.nowMs()), logger: silentLogger, config: {} });
  return () =>
    ensureInitialAdminToken({
      store,
      createAdminToken: () => hq.auth.ensureAdminToken(),
      nowMs: () => clock.nowMs(),
      logger,
      tokenFile: join(dir, `${name}.token`),
      shared: true,
      pollMs: 10,
    });
}

const exists = (p: string) => access(p).then(() => true, () => false);

describe('initial admin token on a shared store', () => {
  it('is created by exactly one of several replicas starting at once; the others say where it is', async () => {
    const lines: { msg: string; obj: Readonly<Record<string, unknown>> }[] = [];
    const names = ['r1', 'r2', 'r3', 'r4'];
    const results = await Promise.all(names.map((n) => replica(n, lines)()));
    const winners = results.flatMap((t, i) => (t === null ? [] : [names[i]!]));
    expect(winners).toHaveLength(1);
    const winnerFile = join(dir, `${winners[0]}.token`);
    expect((await readFile(winnerFile, 'utf8')).trim()).toBe(results.find((t) => t !== null));
    for (const n of names.filter((x) => x !== winners[0])) expect(await exists(join(dir, `${n}.token`))).toBe(false);
    const told = lines.filter((l) => l.msg.startsWith('another HQ replica created the initial admin token'));
    expect(told).toHaveLength(3);
    for (const l of told) expect(l.obj['tokenFile']).toBe(winnerFile);
  });

  it('a later start creates nothing and says where the token file is', async () => {
    await replica('first', [])();
    const lines: { msg: string; obj: Readonly<Record<string, unknown>> }[] = [];
    expect(await replica('second', lines)()).toBeNull();
    expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/its file is on the replica that created it.*cortical token create --role admin/)]);
  });

  it('claims again when the replica that claimed the token died before creating it', async () => {
    const old = JSON.stringify({ host: 'gone', pid: 1, tokenFile: '/gone/admin.token', at: Date.now() - 120_000 });
    await store.ensureSecret({ name: ADMIN_TOKEN_CLAIM, candidate: old, nowMs: Date.now() - 120_000 });
    const lines: { msg: string; obj: Readonly<Record<string, unknown>> }[] = [];
    const token = await replica('next', lines)();
    expect(token).toMatch(/\S+/);
    expect(await store.hasAdminToken()).toBe(true);
    expect(lines.some((l) => l.msg.includes('did not create it; claiming again'))).toBe(true);
  });
});
