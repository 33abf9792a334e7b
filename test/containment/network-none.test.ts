/**
 * Containment, network mode `none`: the sleeve has a loopback of its own and nothing else. The
 * agent tries the host's loopback services (a database, HQ), the host's external address, DNS,
 * UDP and an abstract Unix socket; none of it may reach the host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import { makeContainmentFixture, type ContainmentFixture } from './containment-fixture.js';
import {
  startAbstractSocketServer,
  startTcpServer,
  startUdpServer,
  type HostTcpServer,
  type HostUdpServer,
} from './host-servers.js';
import { NET_PROBE_SOURCE, parseProbe, type ProbeResult } from './net-probe.js';
import { containmentRuntime, externalIpv4, nodeScript, sleep, suiteTitle } from './sleeve-harness.js';

const available = await BubblewrapRuntime.available();
const NONE = { mode: 'none', allow: [] } as const;
/** Errors that mean the packet never left the sleeve (no route, no permission). */
const NO_ROUTE = /^(ENETUNREACH|EHOSTUNREACH|EACCES|EPERM|EADDRNOTAVAIL)$/;

describe.skipIf(!available)(suiteTitle('containment: network mode none', available), () => {
  let fx: ContainmentFixture;
  let runtime: Runtime;
  let database: HostTcpServer;
  let hq: HostTcpServer;
  let udp: HostUdpServer;
  let abstract: HostTcpServer;
  const abstractName = `cortical-containment-${process.pid}`;

  beforeAll(async () => {
    fx = makeContainmentFixture('netnone');
    runtime = containmentRuntime(fx);
    database = await startTcpServer('postgres-greeting');
    hq = await startTcpServer('hq-greeting');
    udp = await startUdpServer();
    abstract = await startAbstractSocketServer(abstractName);
  });
  afterAll(async () => {
    await Promise.all([database?.close(), hq?.close(), udp?.close(), abstract?.close()]);
    fx?.cleanup();
  });

  async function probe(...args: string[]): Promise<ProbeResult> {
    const run = await nodeScript(runtime, fx, 'net-probe', NET_PROBE_SOURCE, args, { network: NONE });
    const result = parseProbe(run.stdout);
    expect(result, `probe printed nothing; output: ${run.output}`).not.toBeNull();
    return result!;
  }

  it("cannot connect to a database on the host's 127.0.0.1", async () => {
    const result = await probe('tcp', '127.0.0.1', String(database.port));
    expect(result.result).toBe('error');
    expect(result.data ?? '').not.toContain('postgres-greeting');
    expect(database.accepted).toEqual([]);
  });

  it("cannot reach HQ's API on the host's loopback by name (localhost)", async () => {
    const result = await probe('tcp', 'localhost', String(hq.port));
    expect(result.result).toBe('error');
    expect(hq.accepted).toEqual([]);
  });

  it("cannot reach the host's external interface address", async (ctx) => {
    const ip = externalIpv4();
    if (ip === null) ctx.skip(true, 'this host has no external IPv4 address');
    // Any port will do: from the host's own stack this is ECONNREFUSED at once; a sleeve without
    // a route must fail before a packet leaves it.
    const result = await probe('tcp', ip!, String(hq.port));
    expect(result.result).toBe('error');
    expect(result.code).toMatch(NO_ROUTE);
  });

  it('cannot resolve a name through DNS', async () => {
    const result = await probe('lookup', 'example.com');
    expect(result.result).toBe('error');
    expect(result.addresses).toBeUndefined();
  });

  it("cannot query a resolver on the host's 127.0.0.1", async () => {
    const before = udp.received.length;
    const result = await probe('dns', `127.0.0.1:${udp.port}`, 'exfil.example.com');
    expect(result.result).toBe('error');
    await sleep(200);
    expect(udp.received.length).toBe(before);
  });

  it("a UDP datagram to the host's 127.0.0.1 never arrives", async () => {
    const before = udp.received.length;
    await probe('udp', '127.0.0.1', String(udp.port));
    await sleep(300);
    expect(udp.received.length).toBe(before);
  });

  it("a UDP datagram to the host's external address cannot be sent", async (ctx) => {
    const ip = externalIpv4();
    if (ip === null) ctx.skip(true, 'this host has no external IPv4 address');
    const result = await probe('udp', ip!, String(udp.port));
    expect(result.result).toBe('error');
    expect(result.code).toMatch(NO_ROUTE);
  });

  it("cannot connect to an abstract Unix socket of the host's network namespace", async () => {
    const result = await probe('abstract', abstractName);
    expect(result.result).toBe('error');
    expect(abstract.accepted).toEqual([]);
  });
});
