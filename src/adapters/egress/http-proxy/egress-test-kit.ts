/**
 * Test fixtures for the egress proxy: loopback-only origin and echo servers, a fake resolver,
 * and clients that speak to a proxy over its Unix socket (or a TCP port) with raw bytes.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server as HttpServer } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';
import type { HostResolver } from './egress-policy.js';

/** Where a proxy listens: its Unix socket, or a forwarder's loopback TCP port. */
export type ProxyAddress = { readonly socketPath: string } | { readonly port: number };

export interface Origin {
  readonly port: number;
  /** Requests the origin has received (method, url, headers). */
  readonly seen: { method: string; url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** An HTTP origin on 127.0.0.1: `/hello` → 200, `/body` echoes the body, `/redirect?to=URL` → 302. */
export async function startOrigin(): Promise<Origin> {
  const seen: Origin['seen'] = [];
  const server: HttpServer = createHttpServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://origin.invalid');
    if (url.pathname === '/body') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(`got ${Buffer.concat(chunks).toString('latin1')}`));
      return;
    }
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/', 'content-length': 0 });
      res.end();
      return;
    }
    const body = `hello ${req.headers.host ?? ''}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Echo {
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A TCP echo server on 127.0.0.1, standing in for a TLS service behind a CONNECT tunnel. */
export async function startEcho(): Promise<Echo> {
  let count = 0;
  const open = new Set<Socket>();
  const server: TcpServer = createTcpServer((s) => {
    count += 1;
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () =>
      new Promise((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A resolver over a fixed table; unknown names fail like NXDOMAIN. Records every lookup. */
export function tableResolver(table: Readonly<Record<string, readonly string[]>>): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (host: string): Promise<readonly string[]> => {
    calls.push(host);
    const answer = table[host];
    if (answer === undefined) return Promise.reject(Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(answer);
  };
  return Object.assign(resolve, { calls });
}

function connectTo(proxy: ProxyAddress): Socket {
  return 'socketPath' in proxy ? connect(proxy.socketPath) : connect(proxy.port, '127.0.0.1');
}

/** Sends raw bytes and collects everything until the proxy closes the connection. */
export async function rawExchange(proxy: ProxyAddress, bytes: string | Buffer, timeoutMs = 5_000): Promise<string> {
  const socket = connectTo(proxy);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(bytes);
  const timer = setTimeout(() => socket.destroy(new Error('raw exchange timed out')), timeoutMs);
  try {
    await once(socket, 'close');
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks).toString('latin1');
}

export interface Tunnel {
  readonly status: number;
  /** The proxy's whole answer head (and body, for a refusal). */
  readonly head: string;
  readonly socket: Socket;
}

/** Sends `CONNECT target` and waits for the response head (or the close after a refusal). */
export async function openTunnel(proxy: ProxyAddress, target: string | Buffer, timeoutMs = 5_000): Promise<Tunnel> {
  const socket = connectTo(proxy);
  const line = Buffer.concat([Buffer.from('CONNECT '), Buffer.from(target), Buffer.from(' HTTP/1.1\r\n\r\n')]);
  socket.write(line);
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('tunnel response timed out'));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      const head = buf.toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, socket });
    };
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const text = buf.toString('latin1');
      if (text.startsWith('HTTP/1.1 200') && text.includes('\r\n\r\n')) finish();
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    socket.once('close', finish);
  });
}

/** Writes a line through an open tunnel and reads the echo back. */
export async function echoThrough(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  let got = '';
  while (got.length < text.length) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    got += chunk.toString('utf8');
  }
  return got;
}

export interface ProxiedResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A plain HTTP request through the proxy with an absolute-form target; never follows redirects. */
export async function proxiedGet(proxy: ProxyAddress, url: string, headers: Record<string, string> = {}): Promise<ProxiedResponse> {
  const where = 'socketPath' in proxy ? { socketPath: proxy.socketPath } : { host: '127.0.0.1', port: proxy.port };
  const req = httpRequest({ ...where, method: 'GET', path: url, headers, agent: false, setHost: false });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
}
