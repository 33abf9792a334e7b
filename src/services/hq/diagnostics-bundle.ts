/**
 * Signed diagnostics bundles (tripcode `RECOVERY:DIAGNOSTIC::basic|full`): what HQ looks like now
 * (version, task counts, kill switch, lockdown, recent events, settings with secrets redacted),
 * as canonical JSON signed with HQ's Ed25519 diagnostics key, so that a bundle handed to someone
 * else can be checked for changes with the public key alone.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiagnosticProfile } from '../../core/tripcode.js';
import type { HqDeps } from './hq-deps.js';
import { notify } from './notify.js';

/** The HQ secret the Ed25519 private key is kept under (PKCS8 PEM). */
export const DIAGNOSTICS_KEY_SECRET = 'diagnostics-signing-key';

/** How many of the latest events a bundle carries, per profile. */
export const DIAGNOSTICS_EVENT_LIMITS: Readonly<Record<DiagnosticProfile, number>> = { basic: 50, full: 500 };

export interface DiagnosticsBundle {
  readonly bundle: Readonly<Record<string, unknown>>;
  /** base64url Ed25519 signature over the canonical JSON of `bundle`. */
  readonly signature: string;
  /** The verifying key, SPKI PEM. */
  readonly publicKey: string;
}

import { canonicalJson } from '../../core/audit-chain.js';

export { canonicalJson };

const SECRET_KEY = /secret|token|password|passwd|credential|api[-_]?key|private|authorization|^key$|Key$/i;
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@,]*):[^\s@/,]*@/gi;
const QUERY_SECRET = /([?&](?:password|pass|token|key)=)[^&\s]*/gi;

/** A copy with values under secret-looking keys replaced by `***` and passwords cut from URLs. */
export function redactConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactConfig);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null && v !== undefined ? '***' : redactConfig(v)]));
  }
  if (typeof value === 'string') return value.replace(URL_PASSWORD, '$1:***@').replace(QUERY_SECRET, '$1***');
  return value;
}

/** Per store: one key load per process. */
const keyCache = new WeakMap<object, Promise<KeyObject>>();

/** The store's Ed25519 signing key, created on first use (first writer wins across replicas). */
function signingKey(deps: Pick<HqDeps, 'store' | 'clock'>): Promise<KeyObject> {
  let key = keyCache.get(deps.store);
  if (key === undefined) {
    const candidate = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    key = deps.store
      .ensureSecret({ name: DIAGNOSTICS_KEY_SECRET, candidate, nowMs: deps.clock.nowMs() })
      .then((pem) => createPrivateKey(pem))
      .catch((e: unknown) => {
        keyCache.delete(deps.store);
        throw e;
      });
    keyCache.set(deps.store, key);
  }
  return key;
}

/** Build and sign a bundle of HQ's state now. */
export async function buildDiagnosticsBundle(input: { deps: HqDeps; profile: DiagnosticProfile }): Promise<DiagnosticsBundle> {
  const { deps, profile } = input;
  const { store } = deps;
  const limit = DIAGNOSTICS_EVENT_LIMITS[profile];
  const [tasks, killSwitch, lockdown, lastSeq] = await Promise.all([store.countTasksByState(), store.getKillSwitch(), store.getLockdown(), store.lastEventSeq()]);
  const events = await store.readEvents({ afterSeq: Math.max(0, lastSeq - limit), limit });
  const bundle = {
    format: 'cortical-diagnostics/1',
    profile,
    hqVersion: deps.config.version,
    generatedAt: deps.clock.nowMs(),
    tasks: { ...tasks },
    killSwitch: { ...killSwitch },
    lockdown: { ...lockdown },
    lastEventSeq: lastSeq,
    events: events.map((e) => ({
      seq: e.seq,
      at: e.at,
      type: e.type,
      taskId: e.taskId,
      nodeId: e.nodeId,
      ...(profile === 'full' ? { data: redactConfig(e.data) } : {}),
    })),
    config: redactConfig(deps.config),
  };
  // Round-trip through JSON so that what is signed is exactly what a reader of the file sees.
  const plain = JSON.parse(JSON.stringify(bundle)) as Record<string, unknown>;
  const key = await signingKey(deps);
  const signature = sign(null, Buffer.from(canonicalJson(plain), 'utf8'), key).toString('base64url');
  const publicKey = createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString();
  return { bundle: plain, signature, publicKey };
}

/** Whether `signature` is the Ed25519 signature of the bundle's canonical JSON under `publicKey`. */
export function verifyDiagnosticsBundle(bundle: unknown, signature: string, publicKey: string): boolean {
  try {
    if (!/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
    const sig = Buffer.from(signature, 'base64url');
    // Canonical text only: the last character's spare bits must be zero, so no two texts pass.
    if (sig.toString('base64url') !== signature) return false;
    const key = createPublicKey(publicKey);
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, Buffer.from(canonicalJson(bundle), 'utf8'), key, sig);
  } catch {
    return false;
  }
}

/**
 * The default `diagnostic` recovery action: writes `<dir>/diagnostics-<ts>.json` holding
 * `{bundle, signature, publicKey}`, appends `diagnostics.exported`, and answers the path.
 */
export function diagnosticsAction(deps: HqDeps, dir: string): (profile: DiagnosticProfile, actor: string) => Promise<string> {
  return async (profile, actor) => {
    const signed = await buildDiagnosticsBundle({ deps, profile });
    const nowMs = deps.clock.nowMs();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `diagnostics-${nowMs}.json`);
    await writeFile(path, `${JSON.stringify(signed, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await deps.store.appendEvents({
      events: [{ type: 'diagnostics.exported', taskId: null, nodeId: null, data: { profile, actor, path, signature: signed.signature } }],
      nowMs,
    });
    await notify(deps, []);
    return `diagnostics bundle (${profile}) written to ${path}`;
  };
}
