/** `cortical tripcode issue | apply` against a real HQ served over HTTP. */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../../services/hq/hq-test-harness.js';
import { createApiApp } from '../../api/create-api-app.js';
import { ApiError } from '../api-client.js';
import type { CliIo } from '../cli-io.js';
import { CommandContext } from '../command-context.js';
import { fakeIo } from '../testing/fake-io.js';
import { registerTripcodeCommands } from './tripcode.js';

let h: HqHarness;
let server: Server;
let base: string;

beforeEach(async () => {
  h = await createHqHarness({
    store: await SqliteStore.create(':memory:'),
    bus: new MemoryBus(),
    recoveryActions: { reimageToGolden: (t) => Promise.resolve(`reimaged ${t ?? 'everything'}`) },
  });
  const app = createApiApp(h.hq);
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});

/** The command tree as the program builds it: global --hq/--token, this command group. */
async function cli(argv: string[], opts: { token?: string; stdin?: string } = {}) {
  const overrides: Partial<CliIo> = { env: { CORTICAL_HQ: base, CORTICAL_TOKEN: opts.token ?? h.adminToken }, now: () => h.clock.nowMs() };
  const io = fakeIo(argv, opts.stdin === undefined ? overrides : { ...overrides, readStdin: () => Promise.resolve(opts.stdin!) });
  const ctx = new CommandContext(io);
  const program = new Command('cortical').option('--hq <url>').option('--token <token>').exitOverride();
  registerTripcodeCommands(program, ctx);
  let error: unknown = null;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    error = e;
  }
  return { code: ctx.code, out: io.out(), err: io.errText(), error };
}

describe('cortical tripcode', () => {
  it('issue prints the payload; apply applies it and prints the outcome; a second apply exits 1 as replayed', async () => {
    const issued = await cli(['tripcode', 'issue', 'RECOVERY:REIMAGE_TO_GOLDEN::proj-a']);
    expect(issued.error).toBeNull();
    const payload = issued.out.trim();
    expect(payload).toMatch(/^\d+\|RECOVERY:REIMAGE_TO_GOLDEN::proj-a\|[A-Za-z0-9_-]{43}$/);
    expect(issued.err).toMatch(/single-use, valid until .* \(5m( 0s)? from now\)/);

    const applied = await cli(['tripcode', 'apply', payload]);
    expect(applied).toMatchObject({ code: 0, error: null, out: 'applied RECOVERY:REIMAGE_TO_GOLDEN::proj-a: reimaged proj-a\n' });

    const again = await cli(['tripcode', 'apply', payload, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.out)).toMatchObject({ ok: false, reason: 'replayed', code: 'RECOVERY:REIMAGE_TO_GOLDEN::proj-a' });
  });

  it('apply - reads the payload from standard input; a rejection goes to stderr with exit code 1', async () => {
    const issued = await cli(['tripcode', 'issue', 'RECOVERY:LOCKDOWN', '--json']);
    const { payload } = JSON.parse(issued.out) as { payload: string };
    const applied = await cli(['tripcode', 'apply', '-'], { stdin: `${payload}\n` });
    expect(applied).toMatchObject({ code: 0, out: 'applied RECOVERY:LOCKDOWN: lockdown on; kill switch on\n' });
    expect(await h.store.getKillSwitch()).toMatchObject({ on: true });

    const bad = await cli(['tripcode', 'apply', '-'], { stdin: 'not-a-payload\n' });
    expect(bad.code).toBe(1);
    expect(bad.out).toBe('');
    expect(bad.err).toMatch(/^rejected \(malformed\): payload has 1 \|-separated parts, not 3/);
  });

  it('an unknown code and a non-admin token are API errors', async () => {
    const unknown = await cli(['tripcode', 'issue', 'RECOVERY:NUKE']);
    expect(unknown.error).toBeInstanceOf(ApiError);
    expect(unknown.error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    const viewer = await cli(['tripcode', 'issue', 'RECOVERY:LOCKDOWN'], { token: await h.tokenFor('viewer') });
    expect(viewer.error).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });
});
