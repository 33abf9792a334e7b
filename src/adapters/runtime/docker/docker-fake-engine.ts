/**
 * A stand-in Docker engine for tests (not used by the runtime itself): the HTTP API calls the
 * docker runtime makes, on a Unix socket, with each "container" a real host process group
 * started from the container's Entrypoint and WorkingDir. It checks our use of the API (attach
 * upgrade, multiplexed frames, stdin half-close, wait, kill, pause, archive stat, removal), not
 * the engine's isolation: there is no image, no namespace and no limit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { constants } from 'node:os';

interface FakeContainer {
  readonly id: string;
  readonly config: Record<string, unknown> & { Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; OpenStdin?: boolean };
  child: ChildProcess | null;
  running: boolean;
  paused: boolean;
  exitCode: number;
  readonly sockets: Socket[];
  readonly waiters: (() => void)[];
}

export interface FakeEngineRequest {
  readonly method: string;
  readonly path: string;
}

/** Go's os.ModeDir. */
const MODE_DIR = 2 ** 31;

export class FakeDockerEngine {
  readonly containers = new Map<string, FakeContainer>();
  readonly requests: FakeEngineRequest[] = [];
  readonly created: Record<string, unknown>[] = [];
  private readonly server: Server;
  private next = 1;

  private constructor(readonly socketPath: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket) => this.upgrade(req, socket));
  }

  static async start(socketPath: string): Promise<FakeDockerEngine> {
    const engine = new FakeDockerEngine(socketPath);
    await new Promise<void>((resolve) => engine.server.listen(socketPath, resolve));
    return engine;
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) this.killGroup(c, 'SIGKILL');
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private killGroup(c: FakeContainer, signal: NodeJS.Signals): void {
    const pid = c.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // gone
    }
  }

  private upgrade(req: IncomingMessage, socket: Socket): void {
    const url = new URL(req.url ?? '/', 'http://engine');
    this.requests.push({ method: req.method ?? '', path: url.pathname });
    const m = /^\/containers\/([^/]+)\/attach$/.exec(url.pathname);
    const c = m === null ? undefined : this.containers.get(decodeURIComponent(m[1]!));
    if (c === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n{"message":"no such container"}');
      return;
    }
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    c.sockets.push(socket);
    socket.on('error', () => undefined);
    if (url.searchParams.get('stdin') === '1') {
      const chunks: Buffer[] = [];
      socket.on('data', (d: Buffer) => (c.child?.stdin ? c.child.stdin.write(d) : chunks.push(d)));
      socket.on('end', () => {
        const stdin = c.child?.stdin;
        if (stdin) stdin.end(Buffer.concat(chunks));
        else (c as { pendingStdinEnd?: Buffer }).pendingStdinEnd = Buffer.concat(chunks);
      });
    }
  }

  private frame(c: FakeContainer, type: 1 | 2, data: Buffer): void {
    const header = Buffer.alloc(8);
    header.writeUInt8(type, 0);
    header.writeUInt32BE(data.length, 4);
    for (const s of c.sockets) if (!s.destroyed) s.write(Buffer.concat([header, data]));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname.replace(/^\/v[0-9.]+/, '');
    this.requests.push({ method: req.method ?? '', path });
    if (path === '/_ping') return void res.end('OK');
    if (req.method === 'GET' && path.startsWith('/images/')) return this.json(res, 200, { Id: 'sha256:fake' });
    if (req.method === 'POST' && path === '/containers/create') {
      const config = await this.body(req);
      const id = `fake${this.next++}`;
      this.created.push(config);
      this.containers.set(id, { id, config, child: null, running: false, paused: false, exitCode: 0, sockets: [], waiters: [] });
      return this.json(res, 201, { Id: id, Warnings: [] });
    }
    const m = /^\/containers\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
    const c = m === null ? undefined : this.containers.get(decodeURIComponent(m[1]!));
    if (m === null || c === undefined) return this.json(res, 404, { message: 'No such container' });
    const action = m[2];
    if (req.method === 'DELETE' && action === undefined) {
      this.killGroup(c, 'SIGKILL');
      this.containers.delete(c.id);
      res.writeHead(204);
      return void res.end();
    }
    if (req.method === 'HEAD' && action === 'archive') return this.stat(res, url.searchParams.get('path') ?? '');
    if (req.method === 'GET' && action === 'json') {
      return this.json(res, 200, {
        Id: c.id,
        State: { Running: c.running, Paused: c.paused, Pid: c.running ? (c.child?.pid ?? 0) : 0, ExitCode: c.exitCode, OOMKilled: false, Error: '' },
      });
    }
    if (req.method !== 'POST') return this.json(res, 404, { message: 'page not found' });
    if (action === 'start') return this.startContainer(c, res);
    if (action === 'wait') {
      if (!c.running) return this.json(res, 200, { StatusCode: c.exitCode });
      c.waiters.push(() => this.json(res, 200, { StatusCode: c.exitCode }));
      return;
    }
    if (action === 'kill') {
      if (!c.running) return this.json(res, 409, { message: `Container ${c.id} is not running` });
      if (c.paused) return this.json(res, 409, { message: `Container ${c.id} is paused. Unpause the container before stopping or killing` });
      const signal = (url.searchParams.get('signal') ?? 'SIGKILL') as NodeJS.Signals;
      // Like the engine's init: SIGKILL ends the whole container, other signals go to the command.
      if (signal === 'SIGKILL') this.killGroup(c, 'SIGKILL');
      else c.child?.kill(signal);
      res.writeHead(204);
      return void res.end();
    }
    if (action === 'pause' || action === 'unpause') {
      this.killGroup(c, action === 'pause' ? 'SIGSTOP' : 'SIGCONT');
      c.paused = action === 'pause';
      res.writeHead(204);
      return void res.end();
    }
    return this.json(res, 404, { message: 'page not found' });
  }

  private stat(res: ServerResponse, path: string): void {
    try {
      const st = statSync(path);
      const stat = { name: path.split('/').pop(), size: st.size, mode: (st.mode & 0o777) + (st.isDirectory() ? MODE_DIR : 0), mtime: st.mtime.toISOString() };
      res.writeHead(200, { 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64') });
    } catch {
      res.writeHead(404, { 'Content-Type': 'application/json' });
    }
    res.end();
  }

  private startContainer(c: FakeContainer, res: ServerResponse): void {
    const argv = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: c.config.WorkingDir,
      env: {},
      detached: true,
      stdio: [c.config.OpenStdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    c.child = child;
    c.running = true;
    const pending = (c as { pendingStdinEnd?: Buffer }).pendingStdinEnd;
    if (pending !== undefined) child.stdin?.end(pending);
    child.stdin?.on('error', () => undefined);
    child.stdout!.on('data', (d: Buffer) => this.frame(c, 1, d));
    child.stderr!.on('data', (d: Buffer) => this.frame(c, 2, d));
    child.once('exit', (code, signal) => {
      // The engine's init: a death by signal N is exit code 128+N; the namespace ends with it.
      c.exitCode = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
      this.killGroup(c, 'SIGKILL');
    });
    child.once('close', () => {
      c.running = false;
      c.paused = false;
      for (const s of c.sockets) s.end();
      for (const w of c.waiters.splice(0)) w();
    });
    child.once('error', () => undefined);
    res.writeHead(204);
    res.end();
  }
}
