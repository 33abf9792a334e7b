/**
 * Binding Bridge tokens to client certificates (CORTICAL_BRIDGE_CLIENT_CERT_BINDING=label): HQ
 * runs with mutual TLS and the binding on; @grpc/grpc-js clients call it with throwaway
 * certificates (`openssl`). A call goes through only when the client certificate's CN equals the
 * label of its token; a token used with another machine's certificate, or without a label, is
 * refused with UNAUTHENTICATED and a message that says why.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvConfig } from '../../src/main/config.js';
import { CLIENT_EXT, HAVE_OPENSSL, makeCa, makeLeaf, refusalOf, SERVER_EXT, startMutualTlsHq, tripcode, type BridgeClient, type MutualTlsHq } from './tls-kit.js';

let root: string;

beforeAll(() => {
  if (!HAVE_OPENSSL) return;
  root = mkdtempSync(join(tmpdir(), 'cortical-bridge-binding-'));
  makeCa(root, 'ca');
  makeLeaf(root, 'server', 'ca', '127.0.0.1', SERVER_EXT, 1);
  makeLeaf(root, 'orch1', 'ca', 'orchestrator-1', CLIENT_EXT, 2);
  makeLeaf(root, 'orch2', 'ca', 'orchestrator-2', CLIENT_EXT, 3);
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!HAVE_OPENSSL)('Bridge tokens bound to client certificates by label', () => {
  let tlsHq: MutualTlsHq;
  const connect = (name: string): BridgeClient => tlsHq.connectAs(name);
  const tokenLabelled = async (label: string | null): Promise<string> =>
    (await tlsHq.hq.hq.auth.createToken({ role: 'admin', label, actor: 'test' })).token; // tripcodes need an admin

  beforeAll(async () => {
    tlsHq = await startMutualTlsHq(root, { CORTICAL_BRIDGE_CLIENT_CERT_BINDING: 'label' });
  }, 60_000);

  afterAll(async () => {
    await tlsHq?.close();
  });

  it('a token whose label is the certificate CN is served', async () => {
    const res = await tripcode(connect('orch1'), await tokenLabelled('orchestrator-1'));
    expect(res.ok).toBe(false); // reached the backend: a forged tripcode is answered, not applied
  }, 60_000);

  it("a token used with another machine's certificate is refused, naming both", async () => {
    const token = await tokenLabelled('orchestrator-1');
    const err = await refusalOf(tripcode(connect('orch2'), token));
    expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err?.details).toContain("labelled 'orchestrator-1', but the client certificate's CN is 'orchestrator-2'");
    // the same token from its own machine still works
    expect((await tripcode(connect('orch1'), token)).ok).toBe(false);
  }, 60_000);

  it('a token without a label is refused with how to fix it; a bad token is still refused first', async () => {
    const err = await refusalOf(tripcode(connect('orch1'), await tokenLabelled(null)));
    expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err?.details).toContain('has no label');
    const bad = await refusalOf(tripcode(connect('orch1'), `tok_doesnotexist.${'s'.repeat(43)}`));
    expect(bad?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(bad?.details).toBe('unknown token'); // the token is checked before the certificate
  }, 60_000);
});

describe('the binding setting', () => {
  it('needs mutual TLS, and accepts only none or label', () => {
    expect(() => readEnvConfig({ CORTICAL_BRIDGE_CLIENT_CERT_BINDING: 'label' })).toThrow(/CORTICAL_BRIDGE_CLIENT_CERT_BINDING: binding tokens to client certificates needs mutual TLS/);
    expect(() => readEnvConfig({ CORTICAL_BRIDGE_CLIENT_CERT_BINDING: 'cn' })).toThrow(/CORTICAL_BRIDGE_CLIENT_CERT_BINDING/);
    expect(readEnvConfig({}).CORTICAL_BRIDGE_CLIENT_CERT_BINDING).toBe('none');
  });
});
