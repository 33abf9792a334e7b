/**
 * Client certificate revocation on the Bridge (CORTICAL_BRIDGE_CLIENT_CRL). A throwaway CA revokes
 * certificates with `openssl ca`; HQ runs with mutual TLS and the CA's CRL, and @grpc/grpc-js
 * clients call it: a revoked certificate is refused at the handshake; a certificate revoked while
 * its client is connected is refused once the changed CRL file is re-read (its session is asked to
 * reconnect); a CRL file that is broken or gone leaves the previous list in force.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/ports/logger.js';
import { startBridgeServer } from '../../src/interfaces/bridge/bridge-server.js';
import type { BridgeBackend } from '../../src/core/ports/bridge-backend.js';
import { readEnvConfig } from '../../src/main/config.js';
import { CLIENT_EXT, HAVE_OPENSSL, makeCa, makeCrl, makeLeaf, refusalOf, revoke, SERVER_EXT, startMutualTlsHq, tripcode, type BridgeClient, type MutualTlsHq } from './tls-kit.js';

let root: string;
const pem = (name: string): Buffer => readFileSync(join(root, name));
const CRL = () => join(root, 'clients.crl');

/** Writes the CA's current CRL over clients.crl atomically (a rename, as an operator's tooling would). */
function publishCrl(): void {
  makeCrl(root, 'ca', 'next.crl');
  renameSync(join(root, 'next.crl'), CRL());
}

const lines: { level: string; msg: string }[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: (_o, msg) => void lines.push({ level: 'info', msg }),
  warn: (_o, msg) => void lines.push({ level: 'warn', msg }),
  error: (_o, msg) => void lines.push({ level: 'error', msg }),
  child: () => logger,
};

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not reached in time: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const refusal = (client: BridgeClient, token: string): Promise<grpc.ServiceError | null> => refusalOf(tripcode(client, token));

beforeAll(() => {
  if (!HAVE_OPENSSL) return;
  root = mkdtempSync(join(tmpdir(), 'cortical-bridge-crl-'));
  makeCa(root, 'ca');
  makeLeaf(root, 'server', 'ca', '127.0.0.1', SERVER_EXT, 1);
  makeLeaf(root, 'alice', 'ca', 'alice', CLIENT_EXT, 2);
  makeLeaf(root, 'mallory', 'ca', 'mallory', CLIENT_EXT, 3);
  makeLeaf(root, 'bob', 'ca', 'bob', CLIENT_EXT, 4);
  revoke(root, 'ca', 'mallory');
  publishCrl();
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!HAVE_OPENSSL)('client certificate revocation on a running HQ (CORTICAL_BRIDGE_CLIENT_CRL)', () => {
  let tlsHq: MutualTlsHq;
  let token: string;
  const connect = (name: string): BridgeClient => tlsHq.connectAs(name);

  beforeAll(async () => {
    tlsHq = await startMutualTlsHq(root, { CORTICAL_BRIDGE_CLIENT_CRL: CRL(), CORTICAL_BRIDGE_CLIENT_CRL_CHECK_MS: '100' }, logger);
    token = tlsHq.token;
  }, 60_000);

  afterAll(async () => {
    await tlsHq?.close();
  });

  it('a certificate on the CRL is refused at the handshake, token or not; one not on it is served', async () => {
    expect((await tripcode(connect('alice'), token)).ok).toBe(false); // reached the backend
    const err = await refusal(connect('mallory'), token);
    expect(err?.code).toBe(grpc.status.UNAVAILABLE);
  }, 60_000);

  it('a certificate revoked while its client is connected is refused once the changed file is re-read', async () => {
    const bob = connect('bob');
    expect((await tripcode(bob, token)).ok).toBe(false);
    revoke(root, 'ca', 'bob');
    publishCrl();
    // the same client object: its open session is asked to go, and its reconnect fails the handshake
    const err = await eventually('bob refused', async () => (await refusal(bob, token)) ?? undefined);
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(lines.some((l) => l.msg === 'Bridge client CRL re-read')).toBe(true);
    expect((await tripcode(connect('alice'), token)).ok).toBe(false);
  }, 60_000);

  it('a broken CRL file is logged and the previous list stays in force', async () => {
    writeFileSync(join(root, 'broken.crl'), '-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n');
    renameSync(join(root, 'broken.crl'), CRL());
    await eventually('the broken CRL logged', () => Promise.resolve(lines.some((l) => l.level === 'error' && l.msg === 'the Bridge client CRL was not re-read; the previous list stays in force') ? true : undefined));
    expect((await refusal(connect('bob'), token))?.code).toBe(grpc.status.UNAVAILABLE);
    expect((await refusal(connect('mallory'), token))?.code).toBe(grpc.status.UNAVAILABLE);
    expect((await tripcode(connect('alice'), token)).ok).toBe(false);
  }, 60_000);
});

describe.skipIf(!HAVE_OPENSSL)('client CRL settings', () => {
  const backend = {} as BridgeBackend;

  it('a CRL without a client CA is an error naming what to set', () => {
    expect(() => readEnvConfig({ CORTICAL_BRIDGE_TLS_CERT: '/c', CORTICAL_BRIDGE_TLS_KEY: '/k', CORTICAL_BRIDGE_CLIENT_CRL: '/crl' })).toThrow(
      /CORTICAL_BRIDGE_CLIENT_CRL: a client CRL needs mutual TLS: set CORTICAL_BRIDGE_CLIENT_CA/,
    );
    expect(() => readEnvConfig({ CORTICAL_BRIDGE_CLIENT_CRL_CHECK_MS: '5' })).toThrow(/CORTICAL_BRIDGE_CLIENT_CRL_CHECK_MS/);
  });

  it('a CRL that is not one is refused at start with a clear error; replacing the CRL needs mutual TLS', async () => {
    const tls = { cert: pem('server.crt'), key: pem('server.key'), clientCa: pem('ca.crt') };
    await expect(startBridgeServer({ host: '127.0.0.1', port: 0, backend, authenticate: () => Promise.resolve(null), tls: { ...tls, clientCrl: 'not a CRL' } })).rejects.toThrow(
      /bridge TLS: the certificate, key, client CA or client CRL is not usable/,
    );
    const server = await startBridgeServer({ host: '127.0.0.1', port: 0, backend, authenticate: () => Promise.resolve(null), tls: { cert: tls.cert, key: tls.key } });
    try {
      expect(() => server.updateClientCrl(pem('clients.crl'))).toThrow(/a client CRL needs mutual TLS/);
    } finally {
      await server.close();
    }
  });
});
