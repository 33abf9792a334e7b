/** `cortical audit verify` against the real HQ API over HTTP (SQLite store, sealed chain). */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../../adapters/store/sqlite/sqlite-store.js';
import type { AuditSealer } from '../../../services/hq/audit-sealer.js';
import { createHqHarness, type HqHarness } from '../../../services/hq/hq-test-harness.js';
import { createApiApp } from '../../api/create-api-app.js';
import { ApiError } from '../api-client.js';
import { CommandContext } from '../command-context.js';
import { fakeIo } from '../testing/fake-io.js';
import { describeAuditReport, registerAuditCommands } from './audit.js';

let h: HqHarness;
let server: Server;
let base: string;
let sealer: AuditSealer;

beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  sealer = h.hq.auditSealer;
  const app = createApiApp(h.hq);
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
  await h.close();
});

async function cli(token: string, ...argv: string[]) {
  const io = fakeIo(argv, { env: { CORTICAL_HQ: base, CORTICAL_TOKEN: token } });
  const ctx = new CommandContext(io);
  const program = new Command('cortical').option('--hq <url>').option('--token <token>').exitOverride();
  registerAuditCommands(program, ctx);
  await program.parseAsync([...argv], { from: 'user' });
  return { code: ctx.code, out: io.out() };
}

describe('cortical audit verify', () => {
  it('prints "intact" with the count and head; exit 0', async () => {
    await h.submit({ prompt: 'a', agent: 'claude' });
    await h.hq.budgets.setFleet({ dailyUsd: 5, dailyTokens: null }, 'token:adm');
    const n = await sealer.sealOnce();
    expect(await cli(h.adminToken, 'audit', 'verify')).toEqual({ code: 0, out: `audit log intact: ${n} entries, head #${n}\n` });
    const json = await cli(h.adminToken, 'audit', 'verify', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: true, links: n, headSeq: n, problems: [] });
  });

  it('prints each problem and exits 1 when the log was tampered with', async () => {
    await h.submit({ prompt: 'a', agent: 'claude' });
    await h.submit({ prompt: 'b', agent: 'claude' });
    const n = await sealer.sealOnce();
    const links = await h.store.readAuditSeals({ afterSeq: 0, limit: 10 });
    const forged = { ...links[n - 1]!, seq: n + 1, eventSeq: links[n - 1]!.eventSeq + 1000, entry: links[n - 1]!.entry.replace('"b"', '"c"') };
    await h.store.appendAuditSeals({ seals: [forged], head: { seq: n + 1, eventSeq: forged.eventSeq, hash: forged.hash, sig: 'x', sealedAt: 0 }, expectedHeadSeq: n });
    const r = await cli(h.adminToken, 'audit', 'verify');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^audit log TAMPERED: 2 problems in ${n + 1} entries, head #${n + 1}\\n`));
    expect(r.out).toMatch(new RegExp(`  #${n + 1} link_broken: `));
    expect(r.out).toMatch(new RegExp(`  #${n + 1} head_bad_signature: `));
  });

  it('a non-admin token is refused by HQ; public-key prints the PEM', async () => {
    const viewer = await h.tokenFor('viewer');
    await expect(cli(viewer, 'audit', 'verify')).rejects.toBeInstanceOf(ApiError);
    expect((await cli(viewer, 'audit', 'public-key')).out).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
  });

  it('describes pending entries and cut-off problem lists', () => {
    expect(describeAuditReport({ ok: true, links: 1, headSeq: 1, problems: [], checkedEvents: 1, unsealed: 2 })).toEqual([
      'audit log intact: 1 entry, head #1 (2 newer entries not sealed yet)',
    ]);
    const lines = describeAuditReport({ ok: false, links: 5, headSeq: 5, problems: [{ seq: 2, kind: 'gap', detail: 'd' }], problemCount: 3, checkedEvents: 4 });
    expect(lines).toEqual(['audit log TAMPERED: 3 problems in 5 entries, head #5', '  #2 gap: d', '  … and 2 more']);
  });
});
