/**
 * Test support for the NATS adapters: where the shared test server is, whether it answers, a
 * unique subject prefix and stream name per test, and a private nats-server process that a test
 * may stop and start again (to prove what happens while NATS is down).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The NATS server (with JetStream) the tests use; override with CORTICAL_TEST_NATS_URL. */
export const TEST_NATS_URL = process.env['CORTICAL_TEST_NATS_URL'] ?? '127.0.0.1:4222';

/** The nats-server binary for tests that run a server of their own; override with CORTICAL_TEST_NATS_SERVER. */
export const NATS_SERVER_BIN = process.env['CORTICAL_TEST_NATS_SERVER'] ?? ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p)) ?? null;

/** Whether a TCP connection to `host:port` opens within `timeoutMs`. */
export function canReach(hostPort: string, timeoutMs = 1_000): Promise<boolean> {
  const url = hostPort.replace(/^nats:\/\//, '');
  const [host, portText] = url.split(':');
  const port = Number(portText ?? 4222);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host ?? '127.0.0.1', () => done(true));
  });
}

/** Reachability of the shared server, checked once per test file. */
export async function natsAvailable(): Promise<boolean> {
  const ok = await canReach(TEST_NATS_URL);
  if (!ok) console.warn(`skipped: no NATS at ${TEST_NATS_URL}`);
  return ok;
}

/** A prefix and stream name nobody else uses, so tests sharing a server do not see each other. */
export function uniqueNames(label: string): { subjectPrefix: string; streamName: string } {
  const id = randomBytes(5).toString('hex');
  return { subjectPrefix: `cortical-test.${label}.${id}`, streamName: `CT_${label.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${id}` };
}

export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A nats-server process of the test's own (JetStream on, file storage in a temporary folder). */
export class PrivateNatsServer {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  static async start(): Promise<PrivateNatsServer> {
    if (NATS_SERVER_BIN === null) throw new Error('no nats-server binary');
    const server = new PrivateNatsServer(await freePort(), await mkdtemp(join(tmpdir(), 'cortical-nats-')));
    await server.up();
    return server;
  }

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Start the process (again) on the same port and storage. */
  async up(): Promise<void> {
    if (this.child !== null) return;
    const child = spawn(NATS_SERVER_BIN ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: 'ignore' });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await eventually(() => canReach(this.url, 200), 10_000, `nats-server on ${this.url} to listen`);
  }

  /** Stop the process (SIGKILL when `hard`) and wait until it has exited. */
  async down(hard = false): Promise<void> {
    const child = this.child;
    if (child === null) return;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
    this.child = null;
  }

  async dispose(): Promise<void> {
    await this.down(true);
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
