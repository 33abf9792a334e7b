import { sha256Hex } from './auth-service.js';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { CorticalError } from '../../core/errors.js';
import type { Store } from '../../core/ports/store.js';

/** Name of HQ's audit signing key among the store's HQ secrets (shared by every HQ replica). */
export const AUDIT_SIGNING_KEY_NAME = 'audit-signing-key';

/** An Ed25519 signature is 64 bytes: 86 base64url characters without padding. */
const SIG_CHARS = 86;

/** Hex SHA-256 of a UTF-8 string (the chain's hash). */
export { sha256Hex };

/** Checks signatures with only the public key (what an outside verifier holds). */
export class AuditPublicKey {
  /** SPKI PEM. */
  readonly pem: string;
  /** First 16 hex digits of the SHA-256 of the DER public key: a short name to compare out of band. */
  readonly fingerprint: string;
  private readonly key: KeyObject;

  constructor(pem: string) {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (e) {
      throw new CorticalError('VALIDATION_FAILED', `not a public key in PEM form: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new CorticalError('VALIDATION_FAILED', `the audit key must be Ed25519, got ${key.asymmetricKeyType ?? 'unknown'}`);
    }
    this.key = key;
    this.pem = key.export({ type: 'spki', format: 'pem' }).toString();
    this.fingerprint = createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
  }

  /** Itself (so that a public key and a key pair can be used alike). */
  get publicKey(): AuditPublicKey {
    return this;
  }

  /**
   * Whether `sig` (base64url, canonical: exactly 86 characters that re-encode to themselves) is
   * the signature over `message`. A non-canonical spelling of a valid signature is refused, so a
   * changed character never goes unnoticed.
   */
  verify(message: string, sig: string): boolean {
    if (sig.length !== SIG_CHARS || !/^[A-Za-z0-9_-]+$/.test(sig)) return false;
    const bytes = Buffer.from(sig, 'base64url');
    if (bytes.length !== 64 || bytes.toString('base64url') !== sig) return false;
    try {
      return verify(null, Buffer.from(message, 'utf8'), this.key, bytes);
    } catch {
      return false;
    }
  }
}

/** HQ's audit key pair: signs links and the head. */
export class AuditSigningKey {
  readonly publicKey: AuditPublicKey;

  private constructor(private readonly privateKey: KeyObject) {
    this.publicKey = new AuditPublicKey(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString());
  }

  /** From a PKCS8 PEM (as stored). */
  static fromPem(pkcs8Pem: string): AuditSigningKey {
    const key = createPrivateKey(pkcs8Pem);
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new CorticalError('INTERNAL', `stored audit signing key is ${key.asymmetricKeyType ?? 'unknown'}, expected Ed25519`);
    }
    return new AuditSigningKey(key);
  }

  /** A fresh key pair as PKCS8 PEM. */
  static generatePem(): string {
    return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }

  /**
   * HQ's key, kept in the store: the first replica to start stores its candidate, every replica
   * (and every later start) gets that one.
   */
  static async load(store: Pick<Store, 'ensureSecret'>, nowMs: number): Promise<AuditSigningKey> {
    const pem = await store.ensureSecret({ name: AUDIT_SIGNING_KEY_NAME, candidate: AuditSigningKey.generatePem(), nowMs });
    return AuditSigningKey.fromPem(pem);
  }

  /** Ed25519 signature over `message` (UTF-8), base64url. */
  sign(message: string): string {
    return sign(null, Buffer.from(message, 'utf8'), this.privateKey).toString('base64url');
  }

  verify(message: string, sig: string): boolean {
    return this.publicKey.verify(message, sig);
  }

  get publicKeyPem(): string {
    return this.publicKey.pem;
  }
}

/** Loads the key once (again after a failure); what the sealer, verifier and routes share. */
export function auditSigningKeySource(store: Pick<Store, 'ensureSecret'>, nowMs: () => number): () => Promise<AuditSigningKey> {
  let key: Promise<AuditSigningKey> | null = null;
  return () => {
    key ??= AuditSigningKey.load(store, nowMs()).catch((e: unknown) => {
      key = null;
      throw e;
    });
    return key;
  };
}
