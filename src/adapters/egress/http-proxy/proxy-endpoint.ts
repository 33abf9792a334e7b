/**
 * One sleeve's proxy endpoint: an HTTP proxy listening on a Unix socket. Every request is
 * decided on its own (a keep-alive connection can carry several); release() cuts everything.
 */
import { chmod, lstat, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { EgressDecision } from '../../../core/ports/egress.js';
import type { Logger } from '../../../core/ports/logger.js';
import type { Allowlist } from './allowlist.js';
import { handleConnect } from './connect-tunnel.js';
import type { HostResolver } from './egress-policy.js';
import { handleHttp } from './http-forward.js';
import { denialBody, describeRequest, rawResponse } from './proxy-context.js';
import type { ProxyContext } from './proxy-context.js';

export interface ProxyEndpointOptions {
  readonly sleeveId: string;
  readonly socketPath: string;
  readonly allowlist: Allowlist;
  readonly resolve: HostResolver;
  readonly clock: () => number;
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  readonly onDecision?: (d: EgressDecision) => void;
}

/** Connections one sleeve may hold open at once. */
const MAX_CONNECTIONS = 256;

/** The request line of bytes the HTTP parser refused, for the decision log. */
function firstLine(raw: unknown): string {
  if (!Buffer.isBuffer(raw)) return '';
  const text = raw.subarray(0, 512).toString('latin1');
  const end = text.indexOf('\r\n');
  return end < 0 ? text : text.slice(0, end);
}

export class ProxyEndpoint implements ProxyContext {
  readonly sleeveId: string;
  readonly allowlist: Allowlist;
  readonly resolve: HostResolver;
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: ProxyEndpointOptions) {
    this.sleeveId = options.sleeveId;
    this.allowlist = options.allowlist;
    this.resolve = options.resolve;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.logger = options.logger;
    this.server = createServer({ insecureHTTPParser: false, requireHostHeader: false });
    this.server.maxConnections = MAX_CONNECTIONS;
    this.server.on('connection', (s: Socket) => this.track(s));
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.guard(handleHttp(this, req, res), () => res.destroy());
    });
    this.server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.guard(handleConnect(this, req, socket, head), () => socket.destroy());
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      const why = 'protocol upgrade not supported';
      this.decide({ request: describeRequest(req.method ?? '', req.url ?? ''), host: null, port: null, allowed: false, why });
      socket.on('error', () => socket.destroy());
      socket.end(rawResponse(403, 'Forbidden', denialBody(why)));
    });
    this.server.on('clientError', (err: Error & { code?: string; rawPacket?: unknown }, socket: Duplex) => {
      if (typeof err.code === 'string' && err.code.startsWith('HPE_') && socket.writable) {
        const why = 'malformed request';
        const line = firstLine(err.rawPacket);
        const space = line.indexOf(' ');
        const request = describeRequest(space < 0 ? line : line.slice(0, space), space < 0 ? '' : line.slice(space + 1));
        this.decide({ request, host: null, port: null, allowed: false, why });
        socket.end(rawResponse(403, 'Forbidden', denialBody(why)));
        return;
      }
      socket.destroy();
    });
  }

  get released(): boolean {
    return this.closed;
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  decide(d: Omit<EgressDecision, 'sleeveId' | 'at'>): void {
    const decision: EgressDecision = { sleeveId: this.sleeveId, at: this.options.clock(), ...d };
    this.logger.debug({ ...decision }, decision.allowed ? 'egress allowed' : 'egress denied');
    try {
      this.options.onDecision?.(decision);
    } catch (e) {
      this.logger.warn({ sleeveId: this.sleeveId, err: String(e) }, 'egress onDecision callback threw');
    }
  }

  track(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Listens on the socket path (replacing a stale socket file) with mode 0666. */
  async listen(): Promise<void> {
    const path = this.options.socketPath;
    const existing = await lstat(path).catch(() => null);
    if (existing !== null) {
      if (!existing.isSocket()) throw new Error(`refusing to replace ${path}: not a socket`);
      await rm(path, { force: true });
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.server.once('error', onError);
      this.server.listen(path, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (e) => this.logger.error({ sleeveId: this.sleeveId, err: String(e) }, 'egress endpoint error'));
    // The sandbox user is not the node's user; the directory (0711) keeps others from listing.
    await chmod(path, 0o666);
  }

  /** Stops listening, destroys every open connection (both sides) and removes the socket file. */
  release(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      const stopped = new Promise<void>((resolve) => {
        this.server.close(() => resolve());
      });
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
      await stopped;
      await rm(this.options.socketPath, { force: true });
    })();
    return this.closing;
  }

  private guard(work: Promise<void>, onFailure: () => void): void {
    work.catch((e: unknown) => {
      this.logger.error({ sleeveId: this.sleeveId, err: String(e) }, 'egress request handling failed');
      onFailure();
    });
  }
}
