/**
 * A scaled-out fleet for the chaos suite: HQ replicas (separate processes, cluster preset on one
 * PostgreSQL database and NATS), nodes as separate processes each in its own network namespace,
 * and the faults the suite injects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { withAdmin } from '../../src/adapters/store/postgres/postgres-test-db.js';
import { REPO_ROOT, sleep } from '../e2e/cortical-process.js';
import type { NetHost } from './netns-kit.js';

const BIN = join(REPO_ROOT, 'bin', 'cortical.js');

/** Short timings so every fault outlives a lease within seconds. */
export const CHAOS_TIMINGS: Readonly<Record<string, string>> = {
  CORTICAL_LEASE_TTL_MS: '3000',
  CORTICAL_HEARTBEAT_INTERVAL_MS: '500',
  CORTICAL_NODE_LOST_AFTER_MS: '3000',
  CORTICAL_SCHEDULER_INTERVAL_MS: '200',
  CORTICAL_REAPER_INTERVAL_MS: '300',
  CORTICAL_LOG_LEVEL: 'warn',
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A process that can be killed, stopped, continued and started again with the same arguments. */
export class Restartable {
  private child: ChildProcess | null = null;
  private out = '';

  constructor(
    readonly name: string,
    private readonly argv: readonly string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  start(): void {
    const [cmd, ...args] = this.argv;
    this.out = '';
    const child = spawn(cmd!, args, { env: this.env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (this.out = (this.out + d.toString()).slice(-20_000)));
    child.stderr?.on('data', (d: Buffer) => (this.out = (this.out + d.toString()).slice(-20_000)));
    this.child = child;
  }

  get output(): string {
    return this.out;
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  async kill9(): Promise<void> {
    const c = this.child;
    if (c === null || !this.alive) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c === null || !this.alive) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGCONT');
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
}

export function hqReplica(name: string, opts: { dataDir: string; port: number; store: string; busPrefix: string; stream: string }): Restartable {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    ...CHAOS_TIMINGS,
    CORTICAL_HOME: opts.dataDir,
    CORTICAL_PRESET: 'cluster',
    CORTICAL_STORE: opts.store,
    CORTICAL_BUS: 'nats://127.0.0.1:4222',
    CORTICAL_BUS_PREFIX: opts.busPrefix,
    CORTICAL_BUS_STREAM: opts.stream,
  };
  return new Restartable(name, [process.execPath, BIN, 'hq', '--host', '0.0.0.0', '--port', String(opts.port)], env);
}

export function fleetNode(host: NetHost, opts: { hqUrls: readonly string[]; joinToken: string; workDir: string; slots: number }): Restartable {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', CORTICAL_LOG_LEVEL: 'warn' };
  const argv = host.wrap([
    process.execPath, BIN, 'node',
    '--hq', opts.hqUrls.join(','),
    '--join-token', opts.joinToken,
    '--name', host.name,
    '--slots', String(opts.slots),
    '--runtime', 'process',
    '--work-dir', opts.workDir,
  ]);
  return new Restartable(host.name, argv, env);
}

/** A fresh PostgreSQL database for the run; `drop()` removes it. */
export async function freshDatabase(adminUrl: string, name: string): Promise<{ url: string; drop(): Promise<void>; terminateConnections(): Promise<number> }> {
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`), adminUrl);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    terminateConnections: () =>
      withAdmin(async (c) => (await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name])).rowCount ?? 0, adminUrl),
    drop: () => withAdmin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)), adminUrl),
  };
}

/** Waits until the admin token file of one of the replicas' data dirs exists. */
export async function adminTokenOf(dataDirs: readonly string[], timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const d of dataDirs) {
      const t = (await readFile(join(d, 'admin.token'), 'utf8').catch(() => '')).trim();
      if (t !== '') return t;
    }
    if (Date.now() > deadline) throw new Error('no replica wrote admin.token');
    await sleep(200);
  }
}

export async function ensureDir(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  return path;
}
