/**
 * The Bridge over TLS and mutual TLS. A throwaway CA, a server certificate for 127.0.0.1 and client
 * certificates are made with the `openssl` CLI; HQ is started with CORTICAL_BRIDGE_TLS_CERT / _KEY /
 * CORTICAL_BRIDGE_CLIENT_CA and called by @grpc/grpc-js: with a client certificate and a token the
 * call goes through; without a client certificate, with one from another CA, trusting another CA,
 * or in plain text, the connection is refused before any call is made.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/core/auth.js';
import type { BridgeBackend } from '../../src/core/ports/bridge-backend.js';
import { startBridgeServer } from '../../src/interfaces/bridge/bridge-server.js';
import { readEnvConfig } from '../../src/main/config.js';
import { bridgeTlsFromEnv } from '../../src/main/bridge-tls.js';
import { bridgeCtor, CLIENT_EXT, HAVE_OPENSSL, makeCa, makeLeaf, refusalOf, SERVER_EXT, startMutualTlsHq, tripcode, type BridgeClient, type MutualTlsHq } from './tls-kit.js';

let root: string;
const pem = (name: string): Buffer => readFileSync(join(root, name));

beforeAll(() => {
  if (!HAVE_OPENSSL) return;
  root = mkdtempSync(join(tmpdir(), 'cortical-bridge-tls-'));
  makeCa(root, 'ca');
  makeCa(root, 'other-ca');
  makeLeaf(root, 'server', 'ca', '127.0.0.1', SERVER_EXT, 1);
  makeLeaf(root, 'client', 'ca', 'bridge-client', CLIENT_EXT, 2);
  makeLeaf(root, 'stranger', 'other-ca', 'stranger', CLIENT_EXT, 3);
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!HAVE_OPENSSL)('mutual TLS on a running HQ (CORTICAL_BRIDGE_TLS_* and CORTICAL_BRIDGE_CLIENT_CA)', () => {
  let tlsHq: MutualTlsHq;
  let token: string;
  const connect = (creds: grpc.ChannelCredentials): BridgeClient => tlsHq.connect(creds);

  beforeAll(async () => {
    tlsHq = await startMutualTlsHq(root);
    token = tlsHq.token;
  }, 60_000);

  afterAll(async () => {
    await tlsHq?.close();
  });

  it('a client with a certificate from the client CA and a token is served', async () => {
    const client = connect(grpc.credentials.createSsl(pem('ca.crt'), pem('client.key'), pem('client.crt')));
    const res = await tripcode(client, token);
    // reached the backend: a forged tripcode is answered (not applied), not refused at the transport
    expect(res.ok).toBe(false);
    expect(typeof res.detail).toBe('string');
  }, 60_000);

  it('with the client certificate, the bearer token is still required', async () => {
    const client = connect(grpc.credentials.createSsl(pem('ca.crt'), pem('client.key'), pem('client.crt')));
    await expect(tripcode(client, 'not-a-token')).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  }, 60_000);

  it('a client without a certificate is refused at the TLS layer, token or not', async () => {
    const client = connect(grpc.credentials.createSsl(pem('ca.crt')));
    const err = await refusalOf(tripcode(client, token));
    expect(err).not.toBeNull();
    expect(err!.code).toBe(grpc.status.UNAVAILABLE);
  }, 60_000);

  it('a client certificate from another CA is refused', async () => {
    const client = connect(grpc.credentials.createSsl(pem('ca.crt'), pem('stranger.key'), pem('stranger.crt')));
    const err = await refusalOf(tripcode(client, token));
    expect(err).not.toBeNull();
    expect(err!.code).toBe(grpc.status.UNAVAILABLE);
  }, 60_000);

  it('a client that trusts another CA does not accept the server', async () => {
    const client = connect(grpc.credentials.createSsl(pem('other-ca.crt'), pem('client.key'), pem('client.crt')));
    const err = await refusalOf(tripcode(client, token));
    expect(err).not.toBeNull();
    expect(err!.code).toBe(grpc.status.UNAVAILABLE);
  }, 60_000);

  it('a plain-text client gets nothing', async () => {
    const client = connect(grpc.credentials.createInsecure());
    const err = await refusalOf(tripcode(client, token));
    expect(err).not.toBeNull();
    expect([grpc.status.UNAVAILABLE, grpc.status.INTERNAL]).toContain(err!.code);
  }, 60_000);
});

describe.skipIf(!HAVE_OPENSSL)('TLS without client certificates (startBridgeServer with tls, no clientCa)', () => {
  const OPERATOR: Principal = { tokenId: 'tok-1', role: 'admin', nodeId: null };
  const payloads: string[] = [];
  const backend = {
    tripcode: (payload: string) => {
      payloads.push(payload);
      return Promise.resolve({ ok: true, code: 'NOT:A::CODE', detail: 'seen' });
    },
  } as unknown as BridgeBackend;

  it('serves https with a token; a plain-text client is refused; close() ends the sessions', async () => {
    const server = await startBridgeServer({
      host: '127.0.0.1',
      port: 0,
      backend,
      authenticate: (t) => Promise.resolve(t === 'secret' ? OPERATOR : null),
      tls: { cert: pem('server.crt'), key: pem('server.key').toString('utf8') },
      shutdownGraceMs: 30_000,
    });
    const address = server.url.replace(/^https:\/\//, '');
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const Ctor = bridgeCtor();
    const tlsClient = new Ctor(address, grpc.credentials.createSsl(pem('ca.crt')));
    const plainClient = new Ctor(address, grpc.credentials.createInsecure());
    try {
      expect(await tripcode(tlsClient, 'secret')).toMatchObject({ ok: true, code: 'NOT:A::CODE', detail: 'seen' });
      expect(payloads).toEqual(['1|NOT:A::CODE|bad-signature']);
      await expect(tripcode(tlsClient, 'wrong')).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      const err = await refusalOf(tripcode(plainClient, 'secret'));
      expect(err).not.toBeNull();
      expect(payloads).toHaveLength(1);
      // the idle TLS session the client keeps open must not hold close() up until the grace ends
      const started = Date.now();
      await server.close();
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      tlsClient.close();
      plainClient.close();
      await server.close();
    }
  }, 60_000);

  it('a key that does not match the certificate is refused at start with a clear error', async () => {
    await expect(
      startBridgeServer({ host: '127.0.0.1', port: 0, backend, authenticate: () => Promise.resolve(null), tls: { cert: pem('server.crt'), key: pem('client.key') } }),
    ).rejects.toThrow(/bridge TLS: the certificate, key, client CA or client CRL is not usable/);
  });
});

describe('the Bridge TLS settings in the environment', () => {
  it('a certificate without a key (or a key without a certificate) is an error that names both', () => {
    expect(() => readEnvConfig({ CORTICAL_BRIDGE_PORT: '0', CORTICAL_BRIDGE_TLS_CERT: '/etc/cortical/bridge.crt' })).toThrow(
      /CORTICAL_BRIDGE_TLS_KEY: CORTICAL_BRIDGE_TLS_CERT is set but CORTICAL_BRIDGE_TLS_KEY is not/,
    );
    expect(() => readEnvConfig({ CORTICAL_BRIDGE_TLS_KEY: '/etc/cortical/bridge.key' })).toThrow(
      /CORTICAL_BRIDGE_TLS_CERT: CORTICAL_BRIDGE_TLS_KEY is set but CORTICAL_BRIDGE_TLS_CERT is not/,
    );
  });

  it('a client CA without the server certificate and key is an error', () => {
    expect(() => readEnvConfig({ CORTICAL_BRIDGE_CLIENT_CA: '/etc/cortical/clients.crt' })).toThrow(/CORTICAL_BRIDGE_CLIENT_CA: mutual TLS needs TLS/);
    expect(() => readEnvConfig({ CORTICAL_BRIDGE_TLS_KEY: '/k', CORTICAL_BRIDGE_CLIENT_CA: '/ca' })).toThrow(/CORTICAL_BRIDGE_CLIENT_CA/);
  });

  it('cert and key together (with or without a client CA) are accepted; none means plain text', async () => {
    const both = readEnvConfig({ CORTICAL_BRIDGE_TLS_CERT: '/c', CORTICAL_BRIDGE_TLS_KEY: '/k', CORTICAL_BRIDGE_CLIENT_CA: '/ca' });
    expect(both).toMatchObject({ CORTICAL_BRIDGE_TLS_CERT: '/c', CORTICAL_BRIDGE_TLS_KEY: '/k', CORTICAL_BRIDGE_CLIENT_CA: '/ca' });
    expect(await bridgeTlsFromEnv(readEnvConfig({ CORTICAL_BRIDGE_PORT: '0' }))).toBeUndefined();
  });

  it('an unreadable file is an error naming the variable and the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cortical-bridge-tls-env-'));
    try {
      writeFileSync(join(dir, 'bridge.crt'), 'not really a certificate');
      const missingKey = join(dir, 'missing.key');
      await expect(bridgeTlsFromEnv(readEnvConfig({ CORTICAL_BRIDGE_TLS_CERT: join(dir, 'bridge.crt'), CORTICAL_BRIDGE_TLS_KEY: missingKey }))).rejects.toThrow(
        `CORTICAL_BRIDGE_TLS_KEY: cannot read ${missingKey}`,
      );
      writeFileSync(join(dir, 'bridge.key'), 'k');
      const missingCa = join(dir, 'missing-ca.crt');
      await expect(
        bridgeTlsFromEnv(readEnvConfig({ CORTICAL_BRIDGE_TLS_CERT: join(dir, 'bridge.crt'), CORTICAL_BRIDGE_TLS_KEY: join(dir, 'bridge.key'), CORTICAL_BRIDGE_CLIENT_CA: missingCa })),
      ).rejects.toThrow(`CORTICAL_BRIDGE_CLIENT_CA: cannot read ${missingCa}`);
      const tls = await bridgeTlsFromEnv(readEnvConfig({ CORTICAL_BRIDGE_TLS_CERT: join(dir, 'bridge.crt'), CORTICAL_BRIDGE_TLS_KEY: join(dir, 'bridge.key') }));
      expect(tls?.cert.toString()).toBe('not really a certificate');
      expect(tls?.clientCa).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
