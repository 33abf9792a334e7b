/**
 * Fail-over of the HTTP HQ link between HQ replicas, against real HTTP servers on loopback: a
 * stopped replica (connection refused), one answering 5xx, one that never answers (timeout), and
 * errors that must not fail over (4xx).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isCorticalError } from '../../../core/errors.js';
import type { Logger } from '../../../core/ports/logger.js';
import { HqReplicaSet } from './hq-replica-set.js';
import { credential, task } from './http-hq-link-fixtures.js';
import { HttpHqLink } from './http-hq-link.js';

const renewal = {
  task,
  leaseExpiresAt: 5,
  desired: 'run',
  pendingGuidance: [],
  killSwitch: false,
};

type Mode = 'ok' | 'error503' | 'conflict409' | 'silent';

/** A stand-in HQ replica: records the requests it gets and answers as `mode` says. */
class Replica {
  readonly seen: { url: string; auth: string | undefined }[] = [];
  mode: Mode = 'ok';
  private server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.seen.push({ url: req.url ?? '', auth: req.headers.authorization });
        this.answer(res);
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s === null) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private answer(res: ServerResponse): void {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (this.mode === 'silent') return;
    if (this.mode === 'error503') return send(503, { error: { code: 'UNAVAILABLE', message: 'database unreachable' } });
    if (this.mode === 'conflict409') return send(409, { error: { code: 'LEASE_CONFLICT', message: 'stale fencing token' } });
    send(200, renewal);
  }
}

interface LogLine { level: string; obj: Readonly<Record<string, unknown>>; msg: string }
function capturingLogger(lines: LogLine[]): Logger {
  const logger: Logger = {
    debug: (obj, msg) => lines.push({ level: 'debug', obj, msg }),
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
    child: () => logger,
  };
  return logger;
}

const started: Replica[] = [];
async function replica(): Promise<Replica> {
  const r = await new Replica().start();
  started.push(r);
  return r;
}

function linkTo(replicas: readonly Replica[], lines: LogLine[] = [], requestTimeoutMs = 2_000): HttpHqLink {
  const link = new HttpHqLink({ baseUrl: replicas.map((r) => r.url), requestTimeoutMs, logger: capturingLogger(lines) });
  link.setIdentity(credential);
  return link;
}

const renew = (link: HttpHqLink) => link.renewLease({ taskId: 'task_1', fencingToken: 4 });

afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.stop()));
});

describe('HttpHqLink with several HQ replicas', () => {
  it('moves to the next replica when the current one is stopped, keeps its credentials, logs the fail-over and stays there', async () => {
    const [a, b] = [await replica(), await replica()];
    const lines: LogLine[] = [];
    const link = linkTo([a, b], lines);
    await renew(link);
    expect([a.seen.length, b.seen.length]).toEqual([1, 0]);

    await a.stop();
    await expect(renew(link)).resolves.toMatchObject({ leaseExpiresAt: 5 });
    expect(b.seen).toEqual([{ url: '/api/v1/leases/task_1/renew', auth: `Bearer ${credential.accessToken}` }]);
    const failover = lines.find((l) => l.msg.includes('failing over'));
    expect(failover).toMatchObject({ level: 'warn', obj: { from: a.url, to: b.url } });
    expect(String(failover!.obj['reason'])).toMatch(/unreachable/);
    expect(link.taskGitUrl('task_1')).toBe(`${b.url}/api/v1/tasks/task_1/git`);

    await renew(link);
    expect(b.seen).toHaveLength(2);
    expect(lines.filter((l) => l.msg.includes('failing over'))).toHaveLength(1);
  });

  it('fails over on a 5xx answer and on a timeout, within the same call', async () => {
    const [a, b, c] = [await replica(), await replica(), await replica()];
    a.mode = 'error503';
    b.mode = 'silent';
    const lines: LogLine[] = [];
    const link = linkTo([a, b, c], lines, 300);
    await expect(renew(link)).resolves.toMatchObject({ desired: 'run' });
    expect([a.seen.length, b.seen.length, c.seen.length]).toEqual([1, 1, 1]);
    const reasons = lines.filter((l) => l.msg.includes('failing over')).map((l) => String(l.obj['reason']));
    expect(reasons).toEqual([expect.stringMatching(/HTTP 503/), expect.stringMatching(/did not answer within 300 ms/)]);
  });

  it('goes round robin back to a replica that came back when the current one fails', async () => {
    const [a, b] = [await replica(), await replica()];
    const link = linkTo([a, b]);
    const port = a.port;
    await a.stop();
    await renew(link); // now on b
    b.mode = 'error503';
    const again = await new Replica().start(port);
    started.push(again);
    await expect(renew(link)).resolves.toMatchObject({ leaseExpiresAt: 5 });
    expect(again.seen).toHaveLength(1);
    await renew(link);
    expect(again.seen).toHaveLength(2);
    expect(b.seen).toHaveLength(2); // the first call's success and one 503
  });

  it('does not fail over on a client error: the replica answered', async () => {
    const [a, b] = [await replica(), await replica()];
    a.mode = 'conflict409';
    const err: unknown = await renew(linkTo([a, b])).catch((e: unknown) => e);
    expect(isCorticalError(err) && [err.code, err.retryable]).toEqual(['LEASE_CONFLICT', false]);
    expect(b.seen).toHaveLength(0);
  });

  it('fails with a retryable UNAVAILABLE naming the last replica when none answers', async () => {
    const [a, b] = [await replica(), await replica()];
    await a.stop();
    await b.stop();
    const err: unknown = await renew(linkTo([a, b])).catch((e: unknown) => e);
    expect(isCorticalError(err) && [err.code, err.retryable]).toEqual(['UNAVAILABLE', true]);
    expect((err as Error).message).toMatch(/HQ unreachable: .*ECONNREFUSED/);
  });
});

describe('HqReplicaSet', () => {
  it('tries replicas in back-off after the others, round robin from the current one', () => {
    let now = 0;
    const set = new HqReplicaSet(['http://a', 'http://b/', 'http://c', 'http://b'], { baseMs: 1_000, maxMs: 4_000 }, undefined, () => now);
    expect(set.urls).toEqual(['http://a', 'http://b', 'http://c']);
    expect(set.order()).toEqual([0, 1, 2]);
    set.failed(0, 'refused');
    expect(set.current).toBe('http://b');
    expect(set.order()).toEqual([1, 2, 0]);
    set.failed(1, 'refused');
    expect(set.order()).toEqual([2, 0, 1]);
    now = 1_500; // a's back-off (1 s) is over, b's (1 s from t=0) too
    set.failed(2, '503');
    expect(set.current).toBe('http://a');
    expect(set.order()).toEqual([0, 1, 2]);
    set.failed(0, 'refused again'); // second failure in a row: 2 s
    now = 3_000;
    expect(set.order()).toEqual([1, 2, 0]);
    set.succeeded(1);
    expect(set.current).toBe('http://b');
    now = 3_600;
    expect(set.order()).toEqual([1, 2, 0]);
    now = 10_000;
    expect(set.order()).toEqual([1, 2, 0]);
  });
});
