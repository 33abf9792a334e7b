import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { probeHealth } from './health-probe.js';

let server: Server | null = null;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = null;
});

/** A server whose status for the n-th request (from 1) is `statusOf(n)`. */
async function serve(statusOf: (n: number) => number): Promise<string> {
  let n = 0;
  server = createServer((_req, res) => {
    res.statusCode = statusOf(++n);
    res.end('x');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/healthz`;
}

describe('probeHealth', () => {
  it('passes after the first 200 when every probe stays 200 for greenForMs', async () => {
    const url = await serve((n) => (n <= 2 ? 503 : 200));
    const seen: boolean[] = [];
    const r = await probeHealth({ url, greenForMs: 600, intervalMs: 100, startTimeoutMs: 10_000, onProbe: (ok) => seen.push(ok) });
    expect(r.passed).toBe(true);
    expect(r.greenForMs).toBeGreaterThanOrEqual(600);
    expect(seen.slice(0, 3)).toEqual([false, false, true]);
    expect(r.probes).toBe(seen.length);
    expect(r.okProbes).toBe(seen.filter(Boolean).length);
  });

  it('fails when a probe answers non-200 after going green', async () => {
    const url = await serve((n) => (n === 4 ? 500 : 200));
    const r = await probeHealth({ url, greenForMs: 5_000, intervalMs: 50, startTimeoutMs: 10_000 });
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/500/);
    expect(r.probes).toBe(4);
  });

  it('fails when nothing answers 200 within startTimeoutMs', async () => {
    const url = await serve(() => 500);
    const r = await probeHealth({ url, greenForMs: 100, intervalMs: 50, startTimeoutMs: 400 });
    expect(r.passed).toBe(false);
    expect(r.okProbes).toBe(0);
    expect(r.reason).toMatch(/no HTTP 200 within 400 ms/);
    const refused = await probeHealth({ url: 'http://127.0.0.1:1/healthz', greenForMs: 100, intervalMs: 50, startTimeoutMs: 300 });
    expect(refused.passed).toBe(false);
    expect(refused.reason).toMatch(/ECONNREFUSED/);
  });

  it('stops when aborted', async () => {
    const url = await serve(() => 200);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const r = await probeHealth({ url, greenForMs: 60_000, intervalMs: 50, startTimeoutMs: 10_000, signal: ac.signal });
    expect(r).toMatchObject({ passed: false, reason: 'aborted' });
  });
});
