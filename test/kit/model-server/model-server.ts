/**
 * The scripted model server: one HTTP server on loopback (or any address) that routes each request
 * to the protocol that takes it, asks the script for a reply and renders it in that protocol.
 * Every request is recorded (bounded), so tests can check what the CLI sent (guidance, keys).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NormalizedRequest, ProtocolHandler, RecordedRequest, Responder, ScriptedReply } from './model-server-types.js';
import { sendJson, sleep } from './sse.js';

const MAX_RECORDED = 2000;
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface ModelServerOptions {
  readonly protocols: readonly ProtocolHandler[];
  readonly responder: Responder;
  readonly host?: string;
  readonly port?: number;
}

export interface ModelServer {
  /** `http://host:port` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Requests the script answered or a protocol answered itself, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Requests no protocol took (method and path), for debugging a CLI's calls. */
  readonly unmatched: readonly string[];
  setResponder(responder: Responder): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function headerMap(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  let responder = options.responder;
  const requests: RecordedRequest[] = [];
  const unmatched: string[] = [];
  const record = (r: NormalizedRequest, reply: ScriptedReply | null): void => {
    requests.push({ ...r, at: Date.now(), reply });
    if (requests.length > MAX_RECORDED) requests.splice(0, requests.length - MAX_RECORDED);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://model.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
    let body: unknown = null;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        sendJson(res, 400, { error: { message: 'body is not JSON' } });
        return;
      }
    }
    const handler = options.protocols.find((p) => p.matches(method, url.pathname));
    if (handler === undefined) {
      unmatched.push(`${method} ${url.pathname}`);
      if (unmatched.length > MAX_RECORDED) unmatched.shift();
      sendJson(res, 404, { error: { type: 'not_found_error', message: `no scripted route for ${method} ${url.pathname}` } });
      return;
    }
    const headers = headerMap(req);
    const aux = handler.auxiliary?.(method, url.pathname, body) ?? null;
    const normalized = handler.normalize({ method, path: url.pathname, query: url.searchParams, body, headers });
    if (aux !== null) {
      record(normalized, null);
      sendJson(res, aux.status, aux.body);
      return;
    }
    const reply = await responder(normalized);
    record(normalized, reply);
    await sleep(reply.delayMs);
    await handler.respond(reply, normalized, res, req);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: (e as Error).message } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    host,
    get requests() {
      return requests;
    },
    get unmatched() {
      return unmatched;
    },
    setResponder(r) {
      responder = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
