import type { Server, ServerResponse } from 'node:http';
import type { Logger } from '../core/ports/logger.js';

/**
 * The responses an HTTP server has not finished, so a stopping HQ can let them finish before it
 * closes the store their handlers read (a heartbeat that arrives just before SIGTERM must not meet
 * a destroyed pool). A response counts from its request until it is fully written or its
 * connection closes; an event stream (SSE) does not count once its handler has returned, since
 * it only ends when its client goes.
 */
export class InFlightRequests {
  private readonly open = new Set<ServerResponse>();
  private readonly streams = new WeakSet<ServerResponse>();

  /** Counts the requests `server` takes from now on. */
  watch(server: Server): this {
    server.on('request', (_req, res: ServerResponse) => {
      this.open.add(res);
      res.once('close', () => this.open.delete(res));
    });
    return this;
  }

  /**
   * Wraps the server's fetch handler (`@hono/node-server` passes the Node response as
   * `env.outgoing`) so that event-stream responses are known and not waited for.
   */
  wrap<E>(fetch: (req: Request, env: E) => Response | Promise<Response>): (req: Request, env: E) => Promise<Response> {
    return async (req, env) => {
      const response = await fetch(req, env);
      const outgoing = (env as { outgoing?: unknown } | undefined)?.outgoing;
      if (isEventStream(response) && typeof outgoing === 'object' && outgoing !== null) this.streams.add(outgoing as ServerResponse);
      return response;
    };
  }

  /** Responses still being produced or written (event streams excluded). */
  get size(): number {
    let n = 0;
    for (const res of this.open) if (!this.streams.has(res)) n += 1;
    return n;
  }

  /** Resolves true once no response is being produced or written, or false after `timeoutMs`. */
  async drained(timeoutMs: number, pollMs = 10): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.size > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return true;
  }
}

function isEventStream(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
}

/**
 * Stops an HTTP server that `inFlight` watches: no new connections, idle keep-alive connections
 * closed, the responses already under way finished (up to `drainMs`), then every connection still
 * open cut (event streams, or what outran the wait). Resolves once the server is closed, so what
 * the handlers read (the store) can be closed after it.
 */
export async function stopServerGracefully(server: Server, inFlight: InFlightRequests, opts: { drainMs: number; logger: Logger }): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  if (!(await inFlight.drained(opts.drainMs))) {
    opts.logger.warn({ inFlight: inFlight.size, waitedMs: opts.drainMs }, 'API requests still running at stop; closing their connections');
  }
  server.closeAllConnections();
  await closed;
}
