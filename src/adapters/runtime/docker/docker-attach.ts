/**
 * Attaching to a container's stdio. dockerode's own attach writes its options as a JSON body
 * before the connection is upgraded, and the engine may hand those bytes to the container's
 * stdin. So the upgrade request is made here, without a body, over the same connection settings
 * as the dockerode client (Unix socket, http or https).
 */
import type Docker from 'dockerode';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';

/** The connection settings a docker-modem keeps (not in its type declarations). */
interface ModemSettings {
  socketPath?: unknown;
  getSocketPath?: () => Promise<string> | undefined;
  host?: string;
  port?: number | string;
  protocol?: string;
  version?: string;
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  headers?: Record<string, string>;
}

/** An HTTP-level refusal from the engine (404 no such container, 409 …). */
export class EngineHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface AttachedStdio {
  /** The raw upgraded connection: write stdin here, `end()` closes the container's stdin. */
  readonly raw: Duplex;
  readonly stdout: PassThrough;
  readonly stderr: PassThrough;
}

async function requestOptions(modem: ModemSettings, path: string): Promise<{ options: RequestOptions; tls: boolean }> {
  const prefix = modem.version !== undefined && modem.version !== '' ? `/${modem.version}` : '';
  const headers = { ...(modem.headers ?? {}), Connection: 'Upgrade', Upgrade: 'tcp' };
  if (modem.socketPath !== undefined && modem.socketPath !== null && modem.socketPath !== '') {
    const socketPath = typeof modem.socketPath === 'string' ? modem.socketPath : await modem.getSocketPath?.();
    if (typeof socketPath !== 'string') throw new Error('the docker client has no socket path');
    return { options: { socketPath, path: prefix + path, method: 'POST', headers }, tls: false };
  }
  const protocol = modem.protocol ?? 'http';
  if (protocol !== 'http' && protocol !== 'https') throw new Error(`attaching over ${protocol} is not supported (use a Unix socket, http or https)`);
  const tls = protocol === 'https';
  const options: RequestOptions & { ca?: unknown; cert?: unknown; key?: unknown } = {
    host: modem.host,
    port: modem.port,
    path: prefix + path,
    method: 'POST',
    headers,
  };
  if (tls) Object.assign(options, { ca: modem.ca, cert: modem.cert, key: modem.key });
  return { options, tls };
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.once('end', () => resolve(text));
    res.once('error', () => resolve(text));
  });
}

/**
 * Attaches to stdout and stderr (and stdin when `withStdin`) of a created container; resolves
 * once the engine has upgraded the connection, so nothing the container writes after `start` is
 * missed. The multiplexed stream is split into stdout and stderr; the connection is paused while
 * either side is full, so a lagging reader slows the container down instead of buffering.
 */
export async function attachStdio(docker: Docker, containerId: string, withStdin: boolean): Promise<AttachedStdio> {
  const query = `stream=1&stdout=1&stderr=1${withStdin ? '&stdin=1' : ''}`;
  const { options, tls } = await requestOptions(docker.modem as unknown as ModemSettings, `/containers/${encodeURIComponent(containerId)}/attach?${query}`);
  const raw = await new Promise<Socket>((resolve, reject) => {
    const req: ClientRequest = (tls ? httpsRequest : httpRequest)(options);
    req.once('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.once('response', (res: IncomingMessage) => {
      void readBody(res).then((body) => {
        let message = body.trim();
        try {
          const parsed = JSON.parse(body) as { message?: unknown };
          if (typeof parsed.message === 'string') message = parsed.message;
        } catch {
          // not JSON: keep the text
        }
        reject(new EngineHttpError(res.statusCode ?? 0, `attach refused (HTTP ${res.statusCode}): ${message}`));
      });
    });
    req.once('error', reject);
    req.end();
  });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(raw, stdout, stderr);
  raw.on('data', () => {
    const full = [stdout, stderr].filter((s) => s.writableNeedDrain);
    if (full.length === 0) return;
    raw.pause();
    let waiting = full.length;
    for (const s of full) {
      s.once('drain', () => {
        waiting -= 1;
        if (waiting === 0) raw.resume();
      });
    }
  });
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    stdout.end();
    stderr.end();
  };
  raw.once('end', end);
  raw.once('close', end);
  raw.once('error', end);
  return { raw, stdout, stderr };
}
