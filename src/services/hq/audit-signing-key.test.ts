import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../adapters/store/sqlite/sqlite-store.js';
import { AUDIT_SIGNING_KEY_NAME, AuditPublicKey, AuditSigningKey, auditSigningKeySource, sha256Hex } from './audit-signing-key.js';

describe('HQ audit signing key', () => {
  it('is stored once in the store: every load and every replica gets the same Ed25519 key', async () => {
    const store = await SqliteStore.create(':memory:');
    try {
      const [a, b] = await Promise.all([AuditSigningKey.load(store, 1), AuditSigningKey.load(store, 2)]);
      expect(a.publicKeyPem).toBe(b.publicKeyPem);
      expect(a.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      const stored = await store.ensureSecret({ name: AUDIT_SIGNING_KEY_NAME, candidate: 'other', nowMs: 3 });
      expect(stored).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      const source = auditSigningKeySource(store, () => 4);
      expect(await source()).toBe(await source());
      expect((await source()).publicKeyPem).toBe(a.publicKeyPem);
    } finally {
      await store.close();
    }
  });

  it('signs; only the public key is needed to verify; other messages, keys and spellings fail', () => {
    const key = AuditSigningKey.fromPem(AuditSigningKey.generatePem());
    const hash = sha256Hex('x');
    const sig = key.sign(hash);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const pub = new AuditPublicKey(key.publicKeyPem);
    expect(pub.verify(hash, sig)).toBe(true);
    expect(pub.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(pub.fingerprint).toBe(key.publicKey.fingerprint);
    expect(pub.verify(sha256Hex('y'), sig)).toBe(false);
    expect(new AuditPublicKey(AuditSigningKey.fromPem(AuditSigningKey.generatePem()).publicKeyPem).verify(hash, sig)).toBe(false);
    // The last character carries 2 spare bits: another spelling of the same bytes is refused too.
    const last = sig[sig.length - 1]!;
    const alt = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').find((c) => c !== last && Buffer.from(sig.slice(0, -1) + c, 'base64url').equals(Buffer.from(sig, 'base64url')));
    expect(alt).toBeDefined();
    expect(pub.verify(hash, sig.slice(0, -1) + alt!)).toBe(false);
    expect(pub.verify(hash, `${sig}=`)).toBe(false);
    expect(pub.verify(hash, '')).toBe(false);
  });

  it('refuses keys that are not Ed25519 with a clear message', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => new AuditPublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toThrow(/must be Ed25519, got rsa/);
    expect(() => new AuditPublicKey('not a key')).toThrow(/not a public key in PEM form/);
    expect(() => AuditSigningKey.fromPem(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toThrow(/expected Ed25519/);
  });
});
