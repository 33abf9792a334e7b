import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Code, ConnectError, createContextKey, createContextValues, type Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { Principal } from '../../core/auth.js';
import { silentLogger, type Logger } from '../../core/ports/logger.js';
import type { BridgeBackend } from '../../core/ports/bridge-backend.js';
import { bridgePrincipalKey, registerBridgeService, toConnectError } from './bridge-service.js';

/**
 * TLS for the Bridge, all PEM. `clientCa` turns on mutual TLS: every client must present a
 * certificate issued by it, or the handshake fails (bearer tokens are still required on top).
 * `clientCrl` (with `clientCa`): certificate revocation lists of the client CA; a revoked client
 * certificate fails the handshake, and so does any client certificate once the CRL has expired.
 */
export interface BridgeTlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly clientCa?: string | Buffer;
  readonly clientCrl?: string | Buffer;
}

/**
 * The Bridge API server: `orchestrator.Bridge` over HTTP/2, speaking gRPC, gRPC-Web and Connect;
 * plain text (h2c) by default, TLS (ALPN h2) with `tls`, mutual TLS with `tls.clientCa`. Every
 * call carries `authorization: Bearer <token>`; `authenticate` turns the token into a principal
 * (null = refused).
 */
export interface BridgeServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is in the result. */
  readonly port: number;
  readonly backend: BridgeBackend;
  /** The principal behind a bearer token, or null when the token is unknown, revoked or expired. */
  readonly authenticate: (bearerToken: string) => Promise<Principal | null>;
  readonly logger?: Logger;
  /** How long `close()` lets calls in flight finish before it cuts the connections. Default 5 s. */
  readonly shutdownGraceMs?: number;
  /** The largest request message accepted, in bytes. Default 16 MiB. */
  readonly readMaxBytes?: number;
  /** Serve TLS (and mutual TLS with `clientCa`) instead of plain text. */
  readonly tls?: BridgeTlsOptions;
  /**
   * With mutual TLS: checks an authenticated caller against its client certificate; a string is
   * the reason it is refused (UNAUTHENTICATED), null lets the call through.
   */
  readonly checkPeer?: (principal: Principal, peer: BridgePeer) => Promise<string | null>;
}

/** The client certificate a call came with (mutual TLS), as far as it names its holder. */
export interface BridgePeer {
  /** The subject's common name; null without a client certificate or without a CN. */
  readonly commonName: string | null;
  /** SHA-256 fingerprint (`AB:CD:…`); null without a client certificate. */
  readonly fingerprint256: string | null;
}

const NO_PEER: BridgePeer = { commonName: null, fingerprint256: null };
const bridgePeerKey = createContextKey<BridgePeer>(NO_PEER, { description: 'cortical bridge peer certificate' });

/** The client certificate of the connection a request came on (mutual TLS only). */
function peerOf(req: { socket?: unknown }): BridgePeer {
  const socket = req.socket as Partial<TLSSocket> | undefined;
  if (socket === undefined || typeof socket.getPeerCertificate !== 'function') return NO_PEER;
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert !== 'object' || Object.keys(cert).length === 0) return NO_PEER;
  const cn = cert.subject?.CN;
  return { commonName: typeof cn === 'string' ? cn : Array.isArray(cn) ? (cn[0] ?? null) : null, fingerprint256: cert.fingerprint256 ?? null };
}

export interface BridgeServer {
  readonly port: number;
  /** `http://host:port` (`https://` with TLS): the base for Connect and gRPC-Web clients; gRPC clients use host:port. */
  readonly url: string;
  /** Stops accepting, ends every HTTP/2 session (idle ones at once) and resolves when all are gone. */
  close(): Promise<void>;
  /**
   * Replaces the client CRL (mutual TLS only): new handshakes check the new list at once, and every
   * open session is asked to end (GOAWAY; calls in flight finish), so clients reconnect and are
   * checked again. Throws, keeping the old list, when the CRL is not usable.
   */
  updateClientCrl(crl: string | Buffer): void;
}

const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;
const DEFAULT_READ_MAX_BYTES = 16 * 1024 * 1024;

/** The token of an `authorization: Bearer <token>` value; null when absent or malformed. */
export function bearerTokenOf(header: string | null): string | null {
  if (header === null) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header.trim());
  return m?.[1] ?? null;
}

/** Authenticates each call and puts the principal into its context values. */
export function bridgeAuthInterceptor(authenticate: BridgeServerOptions['authenticate'], logger: Logger, checkPeer?: BridgeServerOptions['checkPeer']): Interceptor {
  return (next) => async (req) => {
    const header = req.header.get('authorization');
    if (header === null || header.trim() === '') {
      throw new ConnectError('missing credentials: send metadata authorization: Bearer <token>', Code.Unauthenticated);
    }
    const token = bearerTokenOf(header);
    if (token === null) {
      throw new ConnectError('malformed authorization metadata: expected Bearer <token>', Code.Unauthenticated);
    }
    let principal: Principal | null;
    try {
      principal = await authenticate(token);
    } catch (e) {
      throw toConnectError(e, logger, req.method.name);
    }
    if (principal === null) throw new ConnectError('invalid, revoked or expired token', Code.Unauthenticated);
    if (checkPeer !== undefined) {
      let refused: string | null;
      try {
        refused = await checkPeer(principal, req.contextValues.get(bridgePeerKey));
      } catch (e) {
        throw toConnectError(e, logger, req.method.name);
      }
      if (refused !== null) {
        logger.warn({ tokenId: principal.tokenId, method: req.method.name, reason: refused }, 'bridge call refused: client certificate does not match the token');
        throw new ConnectError(refused, Code.Unauthenticated);
      }
    }
    req.contextValues.set(bridgePrincipalKey, principal);
    return await next(req);
  };
}

/**
 * Re-encodes `grpc-message` as the gRPC spec has it: only bytes outside printable ASCII, and `%`,
 * are percent-encoded. Connect encodes like `encodeURIComponent` (`:` as `%3A` …), which clients
 * that decode with `decodeURI` (grpc-js) show verbatim; the spec's form reads right in every client.
 */
export function portableGrpcMessage(encoded: string): string {
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

type NodeHeaders = Record<string, string | string[] | number | undefined>;

function fixGrpcMessage(headers: unknown): void {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return;
  const h = headers as NodeHeaders;
  const value = h['grpc-message'];
  if (typeof value === 'string') h['grpc-message'] = portableGrpcMessage(value);
}

function withPortableGrpcMessage(handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void) {
  return (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void => {
    const contentType = req.headers['content-type'];
    if (typeof contentType === 'string' && /^application\/grpc(?:[+;]|$)/i.test(contentType)) {
      const addTrailers = res.addTrailers.bind(res);
      res.addTrailers = (headers) => {
        fixGrpcMessage(headers);
        addTrailers(headers);
      };
      // A trailers-only response carries the status in the headers.
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => http2.Http2ServerResponse;
      res.writeHead = ((...args: unknown[]) => {
        for (const arg of args) fixGrpcMessage(arg);
        return writeHead(...args);
      });
    }
    handler(req, res);
  };
}

/** The TLS context options (what `setSecureContext` replaces); the server options stay. */
function tlsContextOptions(tls: BridgeTlsOptions): { cert: string | Buffer; key: string | Buffer; minVersion: 'TLSv1.2'; ca?: string | Buffer; crl?: string | Buffer } {
  return {
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.2',
    ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa }),
    ...(tls.clientCa === undefined || tls.clientCrl === undefined ? {} : { crl: tls.clientCrl }),
  };
}

function unusableTls(e: unknown): Error {
  const reason = e instanceof Error ? e.message : String(e);
  return new Error(`bridge TLS: the certificate, key, client CA or client CRL is not usable (expected PEM, the key matching the certificate): ${reason}`, { cause: e });
}

function createTlsServer(tls: BridgeTlsOptions, onRequest: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void): http2.Http2SecureServer {
  try {
    return http2.createSecureServer(
      {
        ...tlsContextOptions(tls),
        allowHTTP1: false,
        ...(tls.clientCa === undefined ? {} : { requestCert: true, rejectUnauthorized: true }),
      },
      onRequest,
    );
  } catch (e) {
    throw unusableTls(e);
  }
}

export async function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  const logger = (options.logger ?? silentLogger).child({ component: 'bridge' });
  const graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const handler = connectNodeAdapter({
    grpc: true,
    grpcWeb: true,
    connect: true,
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
    interceptors: [bridgeAuthInterceptor(options.authenticate, logger, options.checkPeer)],
    contextValues: (req) => createContextValues().set(bridgePeerKey, peerOf(req)),
    routes: (router) => registerBridgeService(router, options.backend, logger),
  });

  const onRequest = withPortableGrpcMessage(handler);
  const tls = options.tls;
  const server = tls === undefined ? http2.createServer(onRequest) : createTlsServer(tls, onRequest);
  if (tls !== undefined) {
    // A failed handshake (no or untrusted client certificate, plain text on the TLS port) is the
    // client's problem: log it, never let it become an uncaught 'error'.
    server.on('tlsClientError', (err: Error) => logger.debug({ err: err.message }, 'bridge TLS handshake failed'));
  }
  const sessions = new Set<http2.Http2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A broken connection must not become an uncaught 'error'.
    session.on('error', (err: Error) => logger.debug({ err: err.message }, 'bridge session error'));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err: Error) => logger.error({ err: err.message }, 'bridge server error'));

  const port = (server.address() as AddressInfo).port;
  const hostPart = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${tls === undefined ? 'http' : 'https'}://${hostPart}:${port}`;
  logger.info({ url, tls: tls === undefined ? 'off' : tls.clientCa === undefined ? 'on' : 'mutual', clientCrl: tls?.clientCrl !== undefined }, 'bridge listening');

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // GOAWAY to every client: idle sessions end now, busy ones when their calls finish.
      for (const session of sessions) session.close();
      const cut = setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, graceMs);
      cut.unref();
      server.once('close', () => clearTimeout(cut));
    }).then(() => logger.info({ url }, 'bridge closed'));
    return closing;
  };

  const updateClientCrl = (crl: string | Buffer): void => {
    if (tls?.clientCa === undefined) throw new Error('bridge TLS: a client CRL needs mutual TLS (a client CA)');
    try {
      (server as http2.Http2SecureServer).setSecureContext(tlsContextOptions({ ...tls, clientCrl: crl }));
    } catch (e) {
      throw unusableTls(e);
    }
    for (const session of sessions) session.close();
    logger.info({ sessions: sessions.size }, 'bridge client CRL replaced; open sessions asked to reconnect');
  };

  return { port, url, close, updateClientCrl };
}
