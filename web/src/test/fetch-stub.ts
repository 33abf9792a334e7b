/**
 * A fetch stub for component tests: answers requests by path from a table of handlers and records
 * every request, so a test can assert what the page asked the API for. It is a stub, not a server:
 * the browser tests run the real HQ.
 */
import { vi } from 'vitest';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Headers;
  body: unknown;
}

export type StubHandler = (req: RecordedRequest) => { status?: number; body?: unknown } | Response;

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** Installs the stub as `globalThis.fetch`; handlers are matched by `METHOD /path` prefix, longest first. */
export function installFetchStub(handlers: Record<string, StubHandler>): { requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const keys = Object.keys(handlers).sort((a, b) => b.length - a.length);
  const fetchStub = vi.fn((input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const path = url.replace(/^https?:\/\/[^/]+/, '');
    const method = (init?.method ?? 'GET').toUpperCase();
    const rawBody = init?.body;
    const req: RecordedRequest = {
      method,
      path,
      headers: new Headers(init?.headers),
      body: typeof rawBody === 'string' ? JSON.parse(rawBody) : undefined,
    };
    requests.push(req);
    const key = keys.find((k) => `${method} ${path}`.startsWith(k));
    if (key === undefined) return Promise.resolve(json(404, { error: { code: 'NOT_FOUND', message: `no stub for ${method} ${path}` } }));
    const out = handlers[key]!(req);
    return Promise.resolve(out instanceof Response ? out : json(out.status ?? 200, out.body ?? {}));
  });
  vi.stubGlobal('fetch', fetchStub);
  return { requests };
}
