import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/ports/logger.js';
import { InFlightRequests, stopServerGracefully } from './in-flight-requests.js';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

/** A real HTTP server (the API's adapter) with a controllable handler. */
async function listen(handler: (req: Request) => Response | Promise<Response>): Promise<{ server: Server; inFlight: InFlightRequests; url: string }> {
  const inFlight = new InFlightRequests();
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: inFlight.wrap(handler), port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
    inFlight.watch(s as Server);
  });
  return { server, inFlight, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((r) => (fire = r));
  return { promise, fire };
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

describe('InFlightRequests and stopServerGracefully (a real HTTP server)', () => {
  it('counts a request while its handler runs, and not after its response is written', async () => {
    const entered = signal();
    const gate = signal();
    const { server, inFlight, url } = await listen(async () => {
      entered.fire();
      await gate.promise;
      return new Response('ok');
    });
    servers.push(server);
    expect(inFlight.size).toBe(0);
    expect(await inFlight.drained(10)).toBe(true);
    const res = fetch(url);
    await entered.promise;
    expect(inFlight.size).toBe(1);
    expect(await inFlight.drained(30)).toBe(false);
    gate.fire();
    expect(await (await res).text()).toBe('ok');
    expect(await inFlight.drained(1_000)).toBe(true);
  });

  it('a request running when the stop begins gets its whole answer before the stop resolves; an event stream is cut', async () => {
    let storeOpen = true;
    const entered = signal();
    const gate = signal();
    const { server, inFlight, url } = await listen(async (req) => {
      if (new URL(req.url).pathname === '/stream') {
        const body = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode('data: 1\n\n')) });
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
      }
      entered.fire();
      await gate.promise;
      // what a heartbeat does: read the store after awaiting something
      return new Response(storeOpen ? 'x'.repeat(256 * 1024) : 'store was closed', { status: storeOpen ? 200 : 500 });
    });
    servers.push(server);

    const stream = await fetch(`${url}/stream`);
    const reader = stream.body!.getReader();
    await reader.read();
    const slow = fetch(`${url}/heartbeat`, { method: 'POST' });
    await entered.promise;
    expect(inFlight.size).toBe(1); // the open event stream does not count

    const stopping = stopServerGracefully(server, inFlight, { drainMs: 5_000, logger: quiet }).then(() => {
      storeOpen = false; // the caller closes the store once the server has stopped
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(storeOpen).toBe(true); // still waiting on the running request
    gate.fire();
    const res = await slow;
    expect(res.status).toBe(200);
    expect((await res.text()).length).toBe(256 * 1024);
    await stopping;
    expect(storeOpen).toBe(false);
    // the stream was cut at the stop: it ends (or errors) instead of holding the stop open
    const ended = await reader.read().then((r) => r.done, () => true);
    expect(ended).toBe(true);
    await expect(fetch(`${url}/heartbeat`)).rejects.toThrow();
  });

  it('gives up on a request that never ends after drainMs, warns, and still stops', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...quiet, warn: (_o, msg) => void warnings.push(msg), child: () => logger };
    const entered = signal();
    const { server, inFlight, url } = await listen(() => {
      entered.fire();
      return new Promise<Response>(() => undefined);
    });
    servers.push(server);
    const hung = fetch(url).catch((e: unknown) => e);
    await entered.promise;
    await stopServerGracefully(server, inFlight, { drainMs: 50, logger });
    expect(await hung).toBeInstanceOf(Error);
    expect(warnings).toEqual(['API requests still running at stop; closing their connections']);
  });
});
