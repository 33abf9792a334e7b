/**
 * The egress side of the containment tests: the node's HTTP egress gateway with a resolver the
 * test controls, an allowed and a denied HTTP server on the host's 127.0.0.1, and a raw proxy
 * client the agent runs inside an `allowlist` sleeve.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpEgressGateway } from '../../src/adapters/egress/http-proxy/http-egress-gateway.js';
import type { EgressDecision } from '../../src/core/ports/egress.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import type { NetworkPolicy } from '../../src/core/sandbox.js';
import type { ContainmentFixture } from './containment-fixture.js';
import { startHttpServer, type HostHttpServer } from './host-servers.js';
import { PROXY_CLIENT_SOURCE, parseProbe, statusOf } from './net-probe.js';
import { containmentRuntime, nodeScript, RecordingGateway, type SleeveRun } from './sleeve-harness.js';

/** Names the test resolver knows; everything else does not resolve. */
export const ALLOWED_HOST = 'allowed.test';
export const DENIED_HOST = 'denied.test';
/** Under an allowlisted wildcard, but resolving to loopback (DNS rebinding). */
export const REBIND_HOST = 'rebind.zone.test';

export interface EgressSetup {
  readonly allowed: HostHttpServer;
  readonly denied: HostHttpServer;
  readonly gateway: RecordingGateway;
  readonly runtime: Runtime;
  readonly network: NetworkPolicy;
  /** Names the test resolver was asked for. */
  readonly resolved: string[];
  close(): Promise<void>;
}

export async function startEgress(fixture: ContainmentFixture): Promise<EgressSetup> {
  const allowed = await startHttpServer('allowed');
  const denied = await startHttpServer('denied');
  const socketDir = mkdtempSync(join(tmpdir(), 'cx-egress-'));
  const resolved: string[] = [];
  const table: Record<string, string> = { [ALLOWED_HOST]: '127.0.0.1', [DENIED_HOST]: '127.0.0.1', [REBIND_HOST]: '127.0.0.1' };
  const inner = new HttpEgressGateway({
    socketDir,
    connectTimeoutMs: 2000,
    resolve: (host) => {
      resolved.push(host);
      const ip = table[host];
      return ip === undefined
        ? Promise.reject(Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' }))
        : Promise.resolve([ip]);
    },
  });
  const gateway = new RecordingGateway(inner);
  return {
    allowed,
    denied,
    gateway,
    resolved,
    runtime: containmentRuntime(fixture, gateway),
    network: { mode: 'allowlist', allow: [`${ALLOWED_HOST}:${allowed.port}`, `*.zone.test:${allowed.port}`] },
    close: async () => {
      await gateway.close();
      await Promise.all([allowed.close(), denied.close()]);
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

export interface ProxyAttempt {
  readonly run: SleeveRun;
  /** HTTP status the proxy answered, or null when it answered nothing parseable. */
  readonly status: number | null;
  readonly data: string;
  readonly decisions: EgressDecision[];
}

/** Sends `raw` (bytes, latin1) to the sleeve's egress proxy from inside an allowlist sleeve. */
export async function proxyAttempt(egress: EgressSetup, fixture: ContainmentFixture, raw: string): Promise<ProxyAttempt> {
  const mark = egress.gateway.decisions.length;
  const b64 = Buffer.from(raw, 'latin1').toString('base64');
  const run = await nodeScript(egress.runtime, fixture, 'proxy-client', PROXY_CLIENT_SOURCE, [b64], {
    network: egress.network,
  });
  const probe = parseProbe(run.stdout);
  const data = probe?.data ?? '';
  return { run, status: statusOf(data), data, decisions: egress.gateway.since(mark) };
}

/** A proxied GET in absolute form. */
export function proxiedGet(url: string, hostHeader?: string): string {
  const host = hostHeader ?? url.replace(/^http:\/\//, '').split('/')[0];
  return `GET ${url} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
}

export function connectRequest(authority: string): string {
  return `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`;
}
