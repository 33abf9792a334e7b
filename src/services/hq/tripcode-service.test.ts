import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { FakeClock } from '../../core/clock.js';
import type { StoredEvent } from '../../core/events.js';
import { SequentialIds } from '../../core/ids.js';
import { silentLogger } from '../../core/ports/logger.js';
import type { Store } from '../../core/ports/store.js';
import { formatRecoveryCode, type RecoveryCode } from '../../core/tripcode.js';
import { diagnosticsAction, verifyDiagnosticsBundle } from './diagnostics-bundle.js';
import { resolveHqConfig } from './hq-config.js';
import type { HqDeps } from './hq-deps.js';
import { TripcodeService, type RecoveryActions, type TripcodeServiceOptions } from './tripcode-service.js';

let dir: string;
let stores: Store[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cortical-tripcode-'));
  stores = [];
});
afterEach(async () => {
  for (const s of stores) await s.close();
  await rm(dir, { recursive: true, force: true });
});

const T0 = 1_800_000_000_000;

async function open(clock = new FakeClock(T0), file = 'hq.db'): Promise<HqDeps> {
  const store = await SqliteStore.create(join(dir, file));
  stores.push(store);
  return { store, bus: new MemoryBus(), clock, ids: new SequentialIds(), logger: silentLogger, config: resolveHqConfig({ version: '1.2.3-test' }) };
}

/** Actions that record what they were asked to do. */
function recordingActions(calls: string[]): RecoveryActions {
  return {
    revertSnapshot: (id, actor) => {
      calls.push(`revert ${id} by ${actor}`);
      return Promise.resolve(`reverted to ${id}`);
    },
    reimageToGolden: (target, actor) => {
      calls.push(`reimage ${target ?? '-'} by ${actor}`);
      return Promise.resolve('reimaged');
    },
    diagnostic: (profile, actor) => {
      calls.push(`diagnostic ${profile} by ${actor}`);
      return Promise.resolve('bundle written');
    },
  };
}

async function events(deps: HqDeps, type: 'tripcode.rejected' | 'tripcode.applied' | 'tripcode.issued'): Promise<StoredEvent[]> {
  return [...(await deps.store.readEvents({ afterSeq: 0, limit: 10_000, types: [type] }))];
}

function clockOf(deps: HqDeps): FakeClock {
  return deps.clock as FakeClock;
}

function service(deps: HqDeps, options: TripcodeServiceOptions = {}, calls: string[] = []): TripcodeService {
  return new TripcodeService(deps, { actions: recordingActions(calls), ...options });
}

describe('TripcodeService: acceptance', () => {
  it('issues a payload that applies once, and audits issue and use without the signature', async () => {
    const deps = await open();
    const calls: string[] = [];
    const tc = service(deps, {}, calls);
    const issued = await tc.issue({ code: 'RECOVERY:REVERT_SNAPSHOT::snap-1', actor: 'user:alice' });
    expect(issued.payload).toMatch(/^1800000000000\|RECOVERY:REVERT_SNAPSHOT::snap-1\|[A-Za-z0-9_-]{43}$/);
    expect(issued.expiresAt).toBe(T0 + 300_000);
    clockOf(deps).advance(1_000);
    expect(await tc.apply({ payload: issued.payload, actor: 'user:bob' })).toEqual({ ok: true, code: 'RECOVERY:REVERT_SNAPSHOT::snap-1', detail: 'reverted to snap-1' });
    expect(calls).toEqual(['revert snap-1 by user:bob']);
    const sig = issued.payload.split('|')[2]!;
    const [iss] = await events(deps, 'tripcode.issued');
    const [app] = await events(deps, 'tripcode.applied');
    expect(iss?.data).toMatchObject({ code: 'RECOVERY:REVERT_SNAPSHOT::snap-1', actor: 'user:alice' });
    expect(app?.data).toMatchObject({ code: 'RECOVERY:REVERT_SNAPSHOT::snap-1', actor: 'user:bob', detail: 'reverted to snap-1' });
    expect(iss?.data['nonceId']).toBe(app?.data['nonceId']);
    for (const e of [iss, app]) expect(JSON.stringify(e)).not.toContain(sig);
  });

  it('refuses a forged signature, a replay (also after a restart), an expired code, a code in cooldown and a wrong code, auditing each', async () => {
    const deps = await open();
    const calls: string[] = [];
    const tc = service(deps, {}, calls);

    // forged: a signature made with another key
    const otherHq = service(await open(clockOf(deps), 'other-hq.db'));
    const other = await otherHq.issue({ code: 'RECOVERY:REIMAGE_TO_GOLDEN', actor: 'mallory' });
    expect(await tc.apply({ payload: other.payload, actor: 'mallory' })).toMatchObject({ ok: false, reason: 'forged', code: 'RECOVERY:REIMAGE_TO_GOLDEN' });

    // replayed: in this process, and after a restart (a new service over the same file)
    const good = await tc.issue({ code: 'RECOVERY:REVERT_SNAPSHOT::s1', actor: 'alice' });
    expect((await tc.apply({ payload: good.payload, actor: 'alice' })).ok).toBe(true);
    expect(await tc.apply({ payload: good.payload, actor: 'alice' })).toMatchObject({ ok: false, reason: 'replayed', code: 'RECOVERY:REVERT_SNAPSHOT::s1' });
    await deps.store.close();
    const restarted = await open(clockOf(deps));
    const tc2 = service(restarted, {}, calls);
    clockOf(deps).advance(60_000); // past the cooldown: the refusal is about the nonce
    expect(await tc2.apply({ payload: good.payload, actor: 'alice' })).toMatchObject({ ok: false, reason: 'replayed' });

    // expired: valid signature, too old
    const old = await tc2.issue({ code: 'RECOVERY:REVERT_SNAPSHOT::s2', actor: 'alice' });
    clockOf(deps).advance(300_001);
    expect(await tc2.apply({ payload: old.payload, actor: 'alice' })).toMatchObject({ ok: false, reason: 'expired' });

    // cooldown: a second code of the same family too soon
    const a = await tc2.issue({ code: 'RECOVERY:REVERT_SNAPSHOT::s3', actor: 'alice' });
    const b = await tc2.issue({ code: 'RECOVERY:REVERT_SNAPSHOT::s4', actor: 'alice' });
    expect((await tc2.apply({ payload: a.payload, actor: 'alice' })).ok).toBe(true);
    clockOf(deps).advance(10_000);
    const cool = await tc2.apply({ payload: b.payload, actor: 'alice' });
    expect(cool).toMatchObject({ ok: false, reason: 'cooldown', retryAfterMs: 20_000 });
    clockOf(deps).advance(20_000);
    expect((await tc2.apply({ payload: b.payload, actor: 'alice' })).ok).toBe(true); // out of cooldown, same code now goes

    // wrong code: well-formed, unknown code
    const sig = a.payload.split('|')[2]!;
    expect(await tc2.apply({ payload: `${clockOf(deps).nowMs()}|RECOVERY:SELF_DESTRUCT|${sig}`, actor: 'eve' })).toMatchObject({ ok: false, reason: 'wrong_code', code: 'RECOVERY:SELF_DESTRUCT' });
    // malformed
    expect(await tc2.apply({ payload: 'hello', actor: 'eve' })).toMatchObject({ ok: false, reason: 'malformed', code: null });

    expect(calls).toEqual(['revert s1 by alice', 'revert s3 by alice', 'revert s4 by alice']);
    const rejected = await events(restarted, 'tripcode.rejected');
    expect(rejected.map((e) => [e.data['reason'], e.data['code'], e.data['actor']])).toEqual([
      ['forged', 'RECOVERY:REIMAGE_TO_GOLDEN', 'mallory'],
      ['replayed', 'RECOVERY:REVERT_SNAPSHOT::s1', 'alice'],
      ['replayed', 'RECOVERY:REVERT_SNAPSHOT::s1', 'alice'],
      ['expired', 'RECOVERY:REVERT_SNAPSHOT::s2', 'alice'],
      ['cooldown', 'RECOVERY:REVERT_SNAPSHOT::s4', 'alice'],
      ['wrong_code', 'RECOVERY:SELF_DESTRUCT', 'eve'],
      ['malformed', null, 'eve'],
    ]);
    const everything = JSON.stringify(await restarted.store.readEvents({ afterSeq: 0, limit: 10_000 }));
    for (const p of [good.payload, old.payload, a.payload, b.payload]) expect(everything).not.toContain(p.split('|')[2]);
    expect((await events(restarted, 'tripcode.applied')).length).toBe(3);
  });

  it('refuses a code issued too far in the future as expired, saying why', async () => {
    const deps = await open();
    const tc = service(deps);
    const issued = await tc.issue({ code: 'RECOVERY:DIAGNOSTIC::basic', actor: 'a' });
    clockOf(deps).set(T0 - 31_000);
    const r = await tc.apply({ payload: issued.payload, actor: 'a' });
    expect(r).toMatchObject({ ok: false, reason: 'expired' });
    if (!r.ok) expect(r.detail).toMatch(/future/);
  });

  it('issue refuses an unknown code with the accepted grammar', async () => {
    const tc = service(await open());
    await expect(tc.issue({ code: 'RECOVERY:NUKE', actor: 'a' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: /RECOVERY:LOCKDOWN\[::LIFT\]/ });
  });

  it('an action this HQ lacks, or one that throws, is action_failed (and the code is spent)', async () => {
    const deps = await open();
    const tc = new TripcodeService(deps, { actions: { reimageToGolden: () => Promise.reject(new Error('golden image missing')) }, cooldownsMs: { 'RECOVERY:REIMAGE_TO_GOLDEN': 0 } });
    const revert = await tc.issue({ code: 'RECOVERY:REVERT_SNAPSHOT::s', actor: 'a' });
    expect(await tc.apply({ payload: revert.payload, actor: 'a' })).toMatchObject({ ok: false, reason: 'action_failed', detail: 'RECOVERY:REVERT_SNAPSHOT is not available on this HQ' });
    const reimage = await tc.issue({ code: 'RECOVERY:REIMAGE_TO_GOLDEN::proj', actor: 'a' });
    expect(await tc.apply({ payload: reimage.payload, actor: 'a' })).toMatchObject({ ok: false, reason: 'action_failed', detail: 'golden image missing' });
    expect(await tc.apply({ payload: reimage.payload, actor: 'a' })).toMatchObject({ ok: false, reason: 'replayed' });
    expect((await events(deps, 'tripcode.rejected')).map((e) => e.data['reason'])).toEqual(['action_failed', 'action_failed', 'replayed']);
  });

  it('LOCKDOWN turns lockdown and the kill switch on; LOCKDOWN::LIFT lifts the lockdown and leaves the kill switch on', async () => {
    const deps = await open();
    const tc = service(deps);
    const on = await tc.issue({ code: 'RECOVERY:LOCKDOWN', actor: 'admin' });
    expect(await tc.apply({ payload: on.payload, actor: 'user:ops' })).toMatchObject({ ok: true, code: 'RECOVERY:LOCKDOWN' });
    expect(await deps.store.getLockdown()).toMatchObject({ on: true, reason: 'tripcode RECOVERY:LOCKDOWN', changedBy: 'user:ops' });
    expect(await deps.store.getKillSwitch()).toMatchObject({ on: true });
    clockOf(deps).advance(60_000);
    const lift = await tc.issue({ code: 'RECOVERY:LOCKDOWN::LIFT', actor: 'admin' });
    expect(await tc.apply({ payload: lift.payload, actor: 'user:ops' })).toMatchObject({ ok: true, code: 'RECOVERY:LOCKDOWN::LIFT' });
    expect(await deps.store.getLockdown()).toMatchObject({ on: false });
    expect(await deps.store.getKillSwitch()).toMatchObject({ on: true });
  });

  it('DIAGNOSTIC with the default action writes a bundle whose signature verifies', async () => {
    const deps = await open();
    const out = join(dir, 'diag');
    const tc = new TripcodeService(deps, { actions: { diagnostic: diagnosticsAction(deps, out) } });
    const issued = await tc.issue({ code: 'RECOVERY:DIAGNOSTIC::full', actor: 'admin' });
    const r = await tc.apply({ payload: issued.payload, actor: 'admin' });
    expect(r).toMatchObject({ ok: true });
    const [file] = await readdir(out);
    expect(file).toBe(`diagnostics-${T0}.json`);
    const written = JSON.parse(await readFile(join(out, file!), 'utf8')) as { bundle: { profile: string; events: { type: string }[] }; signature: string; publicKey: string };
    expect(verifyDiagnosticsBundle(written.bundle, written.signature, written.publicKey)).toBe(true);
    expect(written.bundle.events.map((e) => e.type)).toContain('tripcode.issued');
    written.bundle.profile = 'basic';
    expect(verifyDiagnosticsBundle(written.bundle, written.signature, written.publicKey)).toBe(false);
    const exported = await deps.store.readEvents({ afterSeq: 0, limit: 100, types: ['diagnostics.exported'] });
    expect(exported[0]?.data).toMatchObject({ profile: 'full', actor: 'admin', path: join(out, file!) });
  });
});

const argChars = fc.constantFrom(...'ABCxyz019._:-'.split(''));
const arg = fc.array(argChars, { minLength: 1, maxLength: 40 }).map((a) => a.join(''));
const recoveryCodes: fc.Arbitrary<RecoveryCode> = fc.oneof(
  arg.map((snapshotId) => ({ kind: 'revert_snapshot', family: 'RECOVERY:REVERT_SNAPSHOT', snapshotId }) as const),
  fc.option(arg, { nil: null }).map((target) => ({ kind: 'reimage_to_golden', family: 'RECOVERY:REIMAGE_TO_GOLDEN', target }) as const),
  fc.constant({ kind: 'lockdown', family: 'RECOVERY:LOCKDOWN', lift: true } as const),
  fc.constantFrom('basic', 'full').map((profile) => ({ kind: 'diagnostic', family: 'RECOVERY:DIAGNOSTIC', profile }) as const),
);
const noCooldown: TripcodeServiceOptions['cooldownsMs'] = {
  'RECOVERY:LOCKDOWN': 0,
  'RECOVERY:REVERT_SNAPSHOT': 0,
  'RECOVERY:REIMAGE_TO_GOLDEN': 0,
  'RECOVERY:DIAGNOSTIC': 0,
};
const PAYLOAD_CHARS = 'AZaz09_-|:.+/= 1B'.split('');

describe('TripcodeService: properties', () => {
  it('any valid code issued at any time applies within its window', async () => {
    const deps = await open();
    const tc = service(deps, { cooldownsMs: noCooldown });
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(recoveryCodes, fc.integer({ min: 1_000_000, max: 4_000_000_000_000 }), fc.integer({ min: 0, max: 300_000 }), async (code, issueAt, ageMs) => {
        const text = formatRecoveryCode(code);
        // the same code issued in the same ms is the same payload (one nonce): used once only
        fc.pre(!seen.has(`${issueAt}|${text}`));
        seen.add(`${issueAt}|${text}`);
        clockOf(deps).set(issueAt);
        const issued = await tc.issue({ code: text, actor: 'p' });
        clockOf(deps).set(issueAt + ageMs);
        expect(await tc.apply({ payload: issued.payload, actor: 'p' })).toMatchObject({ ok: true, code: text });
      }),
      { numRuns: 60 },
    );
  });

  it('any single-character change of a payload is rejected, and the original still applies', async () => {
    const deps = await open();
    const tc = service(deps, { cooldownsMs: noCooldown });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(recoveryCodes, fc.nat(), fc.constantFrom(...PAYLOAD_CHARS), async (code, where, replacement) => {
        clockOf(deps).set(T0 + ++n);
        const { payload } = await tc.issue({ code: formatRecoveryCode(code), actor: 'p' });
        const i = where % payload.length;
        fc.pre(payload[i] !== replacement);
        const changed = payload.slice(0, i) + replacement + payload.slice(i + 1);
        const r = await tc.apply({ payload: changed, actor: 'p' });
        expect(r.ok).toBe(false);
        expect(await tc.apply({ payload, actor: 'p' })).toMatchObject({ ok: true });
      }),
      { numRuns: 80 },
    );
    expect((await events(deps, 'tripcode.rejected')).length).toBeGreaterThan(0);
  });
});
