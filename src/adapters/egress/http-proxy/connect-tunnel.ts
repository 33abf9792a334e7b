/** `CONNECT host:port`: check, dial the checked address, then splice the two sockets. */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { decide } from './egress-policy.js';
import { dial } from './dial.js';
import { formatAuthority } from './host-syntax.js';
import { denialBody, describeRequest, rawResponse } from './proxy-context.js';
import type { ProxyContext } from './proxy-context.js';
import { parseConnectTarget } from './request-target.js';

function refuse(client: Socket, status: number, reason: string, why: string): void {
  if (client.destroyed) return;
  client.end(rawResponse(status, reason, denialBody(why)));
  // A client that never reads must not hold the socket open.
  setTimeout(() => client.destroy(), 5_000).unref();
}

export async function handleConnect(ctx: ProxyContext, req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
  client.on('error', () => client.destroy());
  const url = req.url ?? '';
  const request = describeRequest('CONNECT', url);
  const target = parseConnectTarget(url);
  if (!target.ok) {
    ctx.decide({ request, host: null, port: null, allowed: false, why: target.why });
    refuse(client, 403, 'Forbidden', target.why);
    return;
  }
  const verdict = await decide(target, ctx.allowlist, ctx.resolve);
  ctx.decide({ request, host: target.host, port: target.port, allowed: verdict.allowed, why: verdict.why });
  if (!verdict.allowed) {
    refuse(client, 403, 'Forbidden', verdict.why);
    return;
  }
  let upstream: Socket;
  try {
    upstream = await dial(verdict.addresses, target.port, ctx.connectTimeoutMs);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const timedOut = code === 'ETIMEDOUT';
    ctx.logger.warn({ sleeveId: ctx.sleeveId, target: formatAuthority(target), code }, 'egress tunnel connect failed');
    refuse(client, timedOut ? 504 : 502, timedOut ? 'Gateway Timeout' : 'Bad Gateway', 'upstream connect failed');
    return;
  }
  if (ctx.released || client.destroyed) {
    upstream.destroy();
    return;
  }
  ctx.track(upstream);
  // Let buffered bytes drain to the client; release() destroys both sides outright.
  upstream.on('close', () => {
    if (!client.destroyed) client.end();
  });
  client.on('close', () => upstream.destroy());
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length > 0) upstream.write(head);
  client.pipe(upstream);
  upstream.pipe(client);
}
