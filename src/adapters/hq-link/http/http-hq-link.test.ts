import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseProgressRequest } from '../../../contract/node-schemas.js';
import { isCorticalError } from '../../../core/errors.js';
import { credential, task } from './http-hq-link-fixtures.js';
import { HttpHqLink } from './http-hq-link.js';

const nodeDto = {
  id: 'node_1', name: 'n1', capabilities: ['shell'], slots: 2, activeLeases: 1, freeSlots: 1, liveness: 'ready',
  scheduling: 'active', state: 'ready', resources: { cpuCount: 1, loadAvg1: 0, memTotalMb: 1, memFreeMb: 1 },
  version: '0.1.0', joinedAt: 1, lastHeartbeatAt: 2,
};

interface Seen { method: string; url: string; auth: string | undefined; body: unknown }

describe('HttpHqLink', () => {
  const seen: Seen[] = [];
  let reply: (req: Seen, res: ServerResponse) => void = (_r, res) => res.end();
  let server: Server;
  let link: HttpHqLink;
  let baseUrl: string;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        const s: Seen = { method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body: data ? JSON.parse(data) : null };
        seen.push(s);
        reply(s, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // generous: a loaded machine can take a while to answer the first request
    link = new HttpHqLink({ baseUrl, requestTimeoutMs: 10_000 });
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const json = (status: number, body: unknown) => (_req: Seen, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it('joins with the token in the body and no bearer', async () => {
    reply = json(201, credential);
    const id = await link.join({
      joinToken: 'tok_join.cccccccccccccccccccc', name: 'n1', capabilities: ['shell'], slots: 2,
      resources: { cpuCount: 1, loadAvg1: 0, memTotalMb: 1, memFreeMb: 1 }, version: '0.1.0',
    });
    expect(id).toEqual(credential);
    const req = seen.at(-1)!;
    expect(req).toMatchObject({ method: 'POST', url: '/api/v1/nodes/join', auth: undefined });
    expect(req.body).toMatchObject({ joinToken: 'tok_join.cccccccccccccccccccc', slots: 2 });
  });

  it('refreshes at the credential route with the refresh token in the body', async () => {
    reply = json(200, credential);
    await link.refresh({ nodeId: 'node_1', refreshToken: 'tok_refresh.x' });
    expect(seen.at(-1)).toMatchObject({ url: '/api/v1/nodes/node_1/credential', auth: undefined, body: { refreshToken: 'tok_refresh.x' } });
  });

  it('sends node calls with the bearer access token and parses the responses', async () => {
    link.setIdentity(credential);
    reply = json(200, { node: nodeDto, killSwitch: false, leases: [task] });
    const hb = await link.heartbeat({ resources: { cpuCount: 1, loadAvg1: 0, memTotalMb: 1, memFreeMb: 1 } });
    expect(seen.at(-1)).toMatchObject({ url: '/api/v1/nodes/node_1/heartbeat', auth: `Bearer ${credential.accessToken}` });
    expect(hb.leases[0]?.id).toBe('task_1');
    expect(hb.node).not.toHaveProperty('freeSlots');

    reply = json(200, task);
    await link.startAttempt({ taskId: 'task_1', fencingToken: 4, workspacePath: '/w' });
    expect(seen.at(-1)).toMatchObject({ url: '/api/v1/leases/task_1/start', body: { fencingToken: 4, workspacePath: '/w' } });

    reply = json(200, { task, leaseExpiresAt: 5, desired: 'pause', pendingGuidance: [], killSwitch: true });
    const renewal = await link.renewLease({ taskId: 'task_1', fencingToken: 4 });
    expect(renewal).toMatchObject({ desired: 'pause', killSwitch: true, leaseExpiresAt: 5 });

    reply = json(200, task);
    await link.reportProgress({ taskId: 'task_1', fencingToken: 4, iterations: [], logs: [], observed: 'paused', pauseReason: undefined });
    expect(seen.at(-1)).toMatchObject({ url: '/api/v1/leases/task_1/progress', body: { fencingToken: 4, observed: 'paused' } });
    expect(seen.at(-1)!.body).not.toHaveProperty('pauseReason');

    // how each guidance was delivered travels as is, in the shape HQ validates
    const guidanceDeliveries = [{ seq: 1, mode: 'live' as const }, { seq: 2, mode: 'interrupt_resume' as const }];
    await link.reportProgress({ taskId: 'task_1', fencingToken: 4, iterations: [], logs: [], guidanceDeliveries });
    expect(seen.at(-1)!.body).toMatchObject({ guidanceDeliveries });
    expect(LeaseProgressRequest.safeParse(seen.at(-1)!.body).success).toBe(true);
    expect(LeaseProgressRequest.safeParse({ fencingToken: 4, iterations: [], logs: [], guidanceDeliveries: [{ seq: 1, mode: 'shout' }] }).success).toBe(false);

    await link.completeAttempt({ taskId: 'task_1', fencingToken: 4, outcome: 'succeeded', reason: 'once_completed', message: null });
    expect(seen.at(-1)).toMatchObject({ url: '/api/v1/leases/task_1/complete', body: { outcome: 'succeeded' } });
  });

  it.each([
    [409, { error: { code: 'LEASE_CONFLICT', message: 'stale' } }, 'LEASE_CONFLICT', false],
    [401, { error: { code: 'TOKEN_EXPIRED', message: 'expired' } }, 'TOKEN_EXPIRED', false],
    [503, { error: { code: 'UNAVAILABLE', message: 'db down' } }, 'UNAVAILABLE', true],
    [500, { error: { code: 'INTERNAL', message: 'oops' } }, 'UNAVAILABLE', true],
    [502, 'bad gateway', 'UNAVAILABLE', true],
    [404, 'nope', 'NOT_FOUND', false],
  ])('maps HTTP %i to %s', async (status, body, code, retryable) => {
    link.setIdentity(credential);
    reply = json(status, body);
    const err: unknown = await link.renewLease({ taskId: 'task_1', fencingToken: 4 }).catch((e: unknown) => e);
    expect(isCorticalError(err) && [err.code, err.retryable]).toEqual([code, retryable]);
  });

  it('turns a timeout and a refused connection into UNAVAILABLE', async () => {
    const impatient = new HttpHqLink({ baseUrl, requestTimeoutMs: 300 });
    impatient.setIdentity(credential);
    reply = () => undefined; // never answers
    const slow: unknown = await impatient.renewLease({ taskId: 'task_1', fencingToken: 4 }).catch((e: unknown) => e);
    expect(isCorticalError(slow) && slow.code).toBe('UNAVAILABLE');
    const gone = new HttpHqLink({ baseUrl: 'http://127.0.0.1:1', requestTimeoutMs: 1000 });
    gone.setIdentity(credential);
    const refused: unknown = await gone.renewLease({ taskId: 'task_1', fencingToken: 4 }).catch((e: unknown) => e);
    expect(isCorticalError(refused) && [refused.code, refused.retryable]).toEqual(['UNAVAILABLE', true]);
  });
});
