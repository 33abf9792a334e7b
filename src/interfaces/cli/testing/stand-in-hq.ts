/**
 * A STAND-IN for HQ in CLI tests: a tiny node:http server that answers canned, contract-shaped
 * JSON for the routes a test registers and records every request. It is not the real HQ API;
 * end-to-end tests run the CLI against the real server.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

export type CannedReply =
  | { readonly status?: number; readonly json: unknown }
  /** Writes a `text/event-stream` body made of these chunks, then ends the response (or keeps it open). */
  | { readonly sse: readonly string[]; readonly keepOpen?: boolean };

type Handler = (req: RecordedRequest) => CannedReply;

export class StandInHq {
  readonly requests: RecordedRequest[] = [];
  private readonly handlers = new Map<string, Handler>();
  private server: Server | null = null;
  url = '';

  /** Registers a reply for `METHOD /path` (exact path, query ignored). */
  on(method: string, path: string, reply: CannedReply | Handler): this {
    this.handlers.set(`${method} ${path}`, typeof reply === 'function' ? reply : () => reply);
    return this;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${addr.port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (s === null) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Requests for one path (and optionally method). */
  calls(path: string, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && (method === undefined || r.method === method));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
    };
    this.requests.push(recorded);
    const handler = this.handlers.get(`${recorded.method} ${recorded.path}`);
    const reply: CannedReply = handler
      ? handler(recorded)
      : { status: 404, json: { error: { code: 'NOT_FOUND', message: `no route ${recorded.method} ${recorded.path}` } } };
    if ('sse' in reply) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (const c of reply.sse) res.write(c);
      if (!reply.keepOpen) res.end();
      return;
    }
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.json));
  }
}
