/**
 * Servers the test runs on the host (127.0.0.1 only, closed after the file): stand-ins for what
 * an agent must not reach (PostgreSQL, HQ) and for the allowlisted and denied HTTP hosts behind
 * the egress gateway. Each records what reached it.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';

export interface HttpHit {
  readonly method: string;
  readonly url: string;
  readonly host: string;
}

export interface HostHttpServer {
  readonly port: number;
  readonly hits: HttpHit[];
  close(): Promise<void>;
}

/**
 * An HTTP server answering `200 <name>`; `/redirect?to=<url>` answers 302 to that URL. Body
 * `<name>` lets the agent tell which server it reached.
 */
export async function startHttpServer(name: string): Promise<HostHttpServer> {
  const hits: HttpHit[] = [];
  const server: HttpServer = createHttpServer((req, res) => {
    hits.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '' });
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const to = url.searchParams.get('to');
    if (url.pathname === '/redirect' && to !== null) {
      res.writeHead(302, { location: to, 'content-length': '0' });
      res.end();
      return;
    }
    const body = `hello from ${name}\n`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.keepAliveTimeout = 200;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface HostTcpServer {
  readonly port: number;
  /** Connections accepted (and the first bytes each sent). */
  readonly accepted: string[];
  close(): Promise<void>;
}

/** A TCP listener (a database, HQ's API) that greets and records every connection. */
export async function startTcpServer(greeting: string, host = '127.0.0.1'): Promise<HostTcpServer> {
  const accepted: string[] = [];
  const server: TcpServer = createTcpServer((socket) => {
    const i = accepted.push('') - 1;
    socket.on('data', (d) => {
      accepted[i] = (accepted[i] ?? '') + d.toString('latin1').slice(0, 200);
    });
    socket.on('error', () => undefined);
    socket.end(`${greeting}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    accepted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A listener on an abstract Unix socket (`\0name`): only reachable from this network namespace. */
export async function startAbstractSocketServer(name: string): Promise<HostTcpServer> {
  const accepted: string[] = [];
  const server: TcpServer = createTcpServer((socket) => {
    accepted.push('connected');
    socket.on('error', () => undefined);
    socket.end('abstract hello\n');
  });
  await new Promise<void>((resolve) => server.listen(`\0${name}`, resolve));
  return {
    port: 0,
    accepted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface HostUdpServer {
  readonly port: number;
  readonly received: string[];
  close(): Promise<void>;
}

/** A UDP listener (a DNS server, a syslog sink) recording every datagram. */
export async function startUdpServer(): Promise<HostUdpServer> {
  const received: string[] = [];
  const socket: UdpSocket = createSocket('udp4');
  socket.on('message', (m) => received.push(m.toString('latin1')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    received,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
