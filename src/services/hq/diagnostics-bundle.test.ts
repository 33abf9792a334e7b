import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { FakeClock } from '../../core/clock.js';
import { SequentialIds } from '../../core/ids.js';
import { silentLogger } from '../../core/ports/logger.js';
import { DIAGNOSTICS_KEY_SECRET, buildDiagnosticsBundle, canonicalJson, diagnosticsAction, redactConfig, verifyDiagnosticsBundle } from './diagnostics-bundle.js';
import { resolveHqConfig, type HqConfig } from './hq-config.js';
import type { HqDeps } from './hq-deps.js';

let dir: string;
let deps: HqDeps;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cortical-diagnostics-'));
  const store = await SqliteStore.create(join(dir, 'hq.db'));
  deps = { store, bus: new MemoryBus(), clock: new FakeClock(1_800_000_000_000), ids: new SequentialIds(), logger: silentLogger, config: resolveHqConfig({ version: '4.5.6' }) };
});
afterEach(async () => {
  await deps.store.close();
  await rm(dir, { recursive: true, force: true });
});

async function someEvents(n: number): Promise<void> {
  const events = Array.from({ length: n }, (_, i) => ({ type: 'budget.changed' as const, taskId: null, nodeId: null, data: { i, apiKey: 'sk-live-123' } }));
  await deps.store.appendEvents({ events, nowMs: 1_800_000_000_000 });
}

/** Every path to a leaf (or an empty container) of a JSON value. */
function leafPaths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
    if (entries.length === 0) return [at];
    return entries.flatMap(([k, x]) => leafPaths(x, [...at, k]));
  }
  return [at];
}

function changedAt(bundle: unknown, path: (string | number)[]): unknown {
  const copy = structuredClone(bundle) as Record<string | number, unknown>;
  if (path.length === 0) return { changed: true };
  let node: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const old = node[last];
  node[last] = typeof old === 'number' ? old + 1 : typeof old === 'string' ? `${old}x` : typeof old === 'boolean' ? !old : old === null ? 0 : 'changed';
  return copy;
}

describe('diagnostics bundles', () => {
  it('carry version, counts, kill switch, lockdown, recent events and redacted settings, and verify', async () => {
    await someEvents(3);
    await deps.store.setLockdown({ on: true, reason: 'drill', nowMs: 1, actor: 'admin' });
    const { bundle, signature, publicKey } = await buildDiagnosticsBundle({ deps, profile: 'basic' });
    expect(bundle).toMatchObject({ profile: 'basic', hqVersion: '4.5.6', generatedAt: 1_800_000_000_000, killSwitch: { on: true }, lockdown: { on: true, reason: 'drill' } });
    expect(bundle['tasks']).toMatchObject({ queued: 0 });
    const events = bundle['events'] as { type: string; data?: unknown }[];
    expect(events.map((e) => e.type)).toEqual(['budget.changed', 'budget.changed', 'budget.changed', 'lockdown.changed', 'killswitch.changed']);
    expect(events[0]).not.toHaveProperty('data'); // basic: no event data
    expect(publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(verifyDiagnosticsBundle(bundle, signature, publicKey)).toBe(true);
    // the key is kept: a second bundle is signed by the same key
    expect((await buildDiagnosticsBundle({ deps, profile: 'basic' })).publicKey).toBe(publicKey);
    expect(await deps.store.ensureSecret({ name: DIAGNOSTICS_KEY_SECRET, candidate: 'other', nowMs: 0 })).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('full carries more events, with their data redacted', async () => {
    await someEvents(120);
    const basic = await buildDiagnosticsBundle({ deps, profile: 'basic' });
    const full = await buildDiagnosticsBundle({ deps, profile: 'full' });
    expect((basic.bundle['events'] as unknown[]).length).toBe(50);
    const events = full.bundle['events'] as { data: Record<string, unknown> }[];
    expect(events.length).toBe(120);
    expect(events[119]!.data).toEqual({ i: 119, apiKey: '***' });
    expect(JSON.stringify(full.bundle)).not.toContain('sk-live-123');
  });

  it('any change of the bundle fails verification, as does another key or a changed signature', async () => {
    await someEvents(2);
    const { bundle, signature, publicKey } = await buildDiagnosticsBundle({ deps, profile: 'full' });
    const paths = leafPaths(bundle);
    expect(paths.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(fc.constantFrom(...paths), (path) => {
        expect(verifyDiagnosticsBundle(changedAt(bundle, path), signature, publicKey)).toBe(false);
      }),
      { numRuns: 200 },
    );
    // the last character too: its spare bits are not ignored
    for (const c of ['A', 'B', 'C', 'Q', 'g', 'w']) {
      if (c !== signature.at(-1)) expect(verifyDiagnosticsBundle(bundle, signature.slice(0, -1) + c, publicKey)).toBe(false);
    }
    fc.assert(
      fc.property(fc.nat({ max: signature.length - 1 }), fc.constantFrom('A', 'B', '_', '-', '0'), (i, c) => {
        fc.pre(signature[i] !== c);
        expect(verifyDiagnosticsBundle(bundle, signature.slice(0, i) + c + signature.slice(i + 1), publicKey)).toBe(false);
      }),
    );
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(verifyDiagnosticsBundle(bundle, signature, otherKey)).toBe(false);
    expect(verifyDiagnosticsBundle(bundle, signature, 'not a key')).toBe(false);
    // key order does not matter: the signature covers canonical JSON
    const reordered = Object.fromEntries(Object.entries(bundle).reverse());
    expect(verifyDiagnosticsBundle(reordered, signature, publicKey)).toBe(true);
  });

  it('canonical JSON sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('redacts secret-looking settings and URL passwords', () => {
    const config = { ...resolveHqConfig(), databaseUrl: 'postgres://cortical:hunter2@db/cortical', natsToken: 'abc' } as HqConfig & Record<string, unknown>;
    const r = redactConfig(config) as Record<string, unknown>;
    expect(r['databaseUrl']).toBe('postgres://cortical:***@db/cortical');
    expect(r['natsToken']).toBe('***');
    expect(r['leaseTtlMs']).toBe(config.leaseTtlMs);
  });

  it('the default action writes {bundle, signature, publicKey} and records the export', async () => {
    const path = await diagnosticsAction(deps, join(dir, 'out'))('basic', 'user:ops');
    expect(path).toContain(join(dir, 'out', 'diagnostics-1800000000000.json'));
    const file = JSON.parse(await readFile(join(dir, 'out', 'diagnostics-1800000000000.json'), 'utf8')) as { bundle: unknown; signature: string; publicKey: string };
    expect(verifyDiagnosticsBundle(file.bundle, file.signature, file.publicKey)).toBe(true);
    const [ev] = await deps.store.readEvents({ afterSeq: 0, limit: 10, types: ['diagnostics.exported'] });
    expect(ev?.data).toMatchObject({ profile: 'basic', actor: 'user:ops', signature: file.signature });
  });
});
