import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcWebTransport, Http2SessionManager } from '@connectrpc/connect-node';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/auth.js';
import { CorticalError, type ErrorCode } from '../../core/errors.js';
import type { Plan } from '../../core/plan-steps.js';
import type { ApplyResult, BridgeBackend, SimulateResult, SnapshotResult, TripcodeResult, VerifyResult } from '../../core/ports/bridge-backend.js';
import { portableGrpcMessage, startBridgeServer, type BridgeServer } from './bridge-server.js';
import { Bridge } from './gen/orchestrator_pb.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const PROTO_PATH = path.join(ROOT, 'proto/orchestrator.proto');

const OPERATOR: Principal = { tokenId: 'tok-1', role: 'operator', nodeId: null };
const TOKENS: Record<string, Principal> = { 'secret-operator': OPERATOR };

interface Call {
  readonly method: string;
  readonly args: readonly unknown[];
  readonly principal: Principal;
}

/**
 * A stand-in for HQ's backend (wired elsewhere): records every call it gets, answers with fixed
 * results, and throws `failWith` when set.
 */
class RecordingBackend implements BridgeBackend {
  calls: Call[] = [];
  failWith: Error | null = null;

  private record(method: string, principal: Principal, ...args: unknown[]): void {
    this.calls.push({ method, args, principal });
    if (this.failWith !== null) throw this.failWith;
  }

  simulate(plan: Plan, principal: Principal): Promise<SimulateResult> {
    this.record('simulate', principal, plan);
    return Promise.resolve({ ok: true, diffs: plan.steps.map((s) => `+ ${s.tool}`), report: `simulated: ${plan.intent}` });
  }
  snapshot(label: string, principal: Principal): Promise<SnapshotResult> {
    this.record('snapshot', principal, label);
    return Promise.resolve({ ok: true, snapshotId: `snap-${label}` });
  }
  apply(plan: Plan, snapshotId: string | null, principal: Principal): Promise<ApplyResult> {
    this.record('apply', principal, plan, snapshotId);
    return Promise.resolve({ ok: true, runId: 'run-7', logs: ['step 1 done', 'step 2 done'] });
  }
  verify(runId: string, principal: Principal): Promise<VerifyResult> {
    this.record('verify', principal, runId);
    return Promise.resolve({ ok: false, checks: ['tests: pass', 'lint: fail'] });
  }
  promote(runId: string, principal: Principal): Promise<{ ok: boolean }> {
    this.record('promote', principal, runId);
    return Promise.resolve({ ok: true });
  }
  rollback(snapshotId: string, principal: Principal): Promise<{ ok: boolean }> {
    this.record('rollback', principal, snapshotId);
    return Promise.resolve({ ok: true });
  }
  tripcode(payload: string, principal: Principal): Promise<TripcodeResult> {
    this.record('tripcode', principal, payload);
    return Promise.resolve({ ok: true, code: payload.split('|')[1] ?? '', detail: 'halted' });
  }
}

type Unary = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: any) => void) => void;
type BridgeClient = grpc.Client & Record<string, Unary>;

function loadClientCtor(): new (address: string, creds: grpc.ChannelCredentials) => BridgeClient {
  const def = protoLoader.loadSync(PROTO_PATH, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as any;
  return pkg.orchestrator.Bridge;
}

function metadata(token: string | null, raw?: string): grpc.Metadata {
  const md = new grpc.Metadata();
  if (raw !== undefined) md.set('authorization', raw);
  else if (token !== null) md.set('authorization', `Bearer ${token}`);
  return md;
}

function call(client: BridgeClient, method: string, req: unknown, md: grpc.Metadata = metadata('secret-operator')): Promise<any> {
  return new Promise((resolve, reject) => {
    const fn = client[method];
    if (fn === undefined) throw new Error(`no method ${method}`);
    fn.call(client, req, md, { deadline: Date.now() + 20_000 }, (err, res) => (err === null ? resolve(res) : reject(err)));
  });
}

async function callError(client: BridgeClient, method: string, req: unknown, md?: grpc.Metadata): Promise<grpc.ServiceError> {
  try {
    await call(client, method, req, md);
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error(`${method} succeeded but was expected to fail`);
}

const PLAN = {
  intent: 'rotate logs',
  steps: [
    { tool: 'fs.write', args: { path: '/var/log/app.log', mode: 'truncate' } },
    { tool: 'shell', args: { command: 'systemctl reload app' } },
  ],
};

describe('Bridge gRPC server', () => {
  const backend = new RecordingBackend();
  let server: BridgeServer;
  let client: BridgeClient;
  let ClientCtor: ReturnType<typeof loadClientCtor>;

  beforeAll(async () => {
    server = await startBridgeServer({
      host: '127.0.0.1',
      port: 0,
      backend,
      authenticate: (token) => {
        if (token === 'expired-token') return Promise.reject(new CorticalError('TOKEN_EXPIRED', 'token expired at 12:00'));
        return Promise.resolve(TOKENS[token] ?? null);
      },
    });
    ClientCtor = loadClientCtor();
    client = new ClientCtor(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await server?.close();
  });

  beforeEach(() => {
    backend.calls = [];
    backend.failWith = null;
  });

  it('listens on an ephemeral port and reports its url', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('Simulate: the plan with its map args reaches the backend, repeated diffs come back', async () => {
    const res = await call(client, 'Simulate', { plan: PLAN });
    expect(res).toEqual({ ok: true, diffs: ['+ fs.write', '+ shell'], report: 'simulated: rotate logs' });
    expect(backend.calls).toEqual([{ method: 'simulate', args: [PLAN], principal: OPERATOR }]);
  });

  it('Snapshot: label in, snapshot id out', async () => {
    const res = await call(client, 'Snapshot', { label: 'before-rotate' });
    expect(res).toEqual({ ok: true, snapshotId: 'snap-before-rotate' });
    expect(backend.calls).toEqual([{ method: 'snapshot', args: ['before-rotate'], principal: OPERATOR }]);
  });

  it('Apply: plan and snapshot id in (empty id = null), run id and logs out', async () => {
    const res = await call(client, 'Apply', { plan: PLAN, snapshotId: 'snap-1' });
    expect(res).toEqual({ ok: true, runId: 'run-7', logs: ['step 1 done', 'step 2 done'] });
    await call(client, 'Apply', { plan: { steps: [{ tool: 'noop' }] } });
    expect(backend.calls).toEqual([
      { method: 'apply', args: [PLAN, 'snap-1'], principal: OPERATOR },
      { method: 'apply', args: [{ intent: '', steps: [{ tool: 'noop', args: {} }] }, null], principal: OPERATOR },
    ]);
  });

  it('Verify, Promote, Rollback and Tripcode map through', async () => {
    expect(await call(client, 'Verify', { runId: 'run-7' })).toEqual({ ok: false, checks: ['tests: pass', 'lint: fail'] });
    expect(await call(client, 'Promote', { runId: 'run-7' })).toEqual({ ok: true });
    expect(await call(client, 'Rollback', { snapshotId: 'snap-1' })).toEqual({ ok: true });
    expect(await call(client, 'Tripcode', { payload: '1700000000|HALT|c2ln' })).toEqual({ ok: true, code: 'HALT', detail: 'halted' });
    expect(backend.calls.map((c) => [c.method, c.args])).toEqual([
      ['verify', ['run-7']],
      ['promote', ['run-7']],
      ['rollback', ['snap-1']],
      ['tripcode', ['1700000000|HALT|c2ln']],
    ]);
    expect(backend.calls.every((c) => c.principal.tokenId === 'tok-1')).toBe(true);
  });

  it.each([
    ['no authorization metadata', metadata(null), /missing credentials/],
    ['an unknown token', metadata('wrong-token'), /invalid, revoked or expired/],
    ['a malformed header', metadata(null, 'Basic c2VjcmV0'), /expected Bearer <token>/],
    ['a token the authenticator rejects with TOKEN_EXPIRED', metadata('expired-token'), /token expired at 12:00/],
  ])('refuses a call with %s as UNAUTHENTICATED and never reaches the backend', async (_what, md, message) => {
    for (const [method, req] of [
      ['Promote', { runId: 'run-7' }],
      ['Simulate', { plan: PLAN }],
    ] as const) {
      const err = await callError(client, method, req, md);
      expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(err.details).toMatch(message);
    }
    expect(backend.calls).toEqual([]);
  });

  it.each([
    ['Verify', { runId: '' }, /^invalid request: run_id is required$/],
    ['Promote', { runId: 'run 7' }, /run_id is printable ASCII without spaces/],
    ['Rollback', { snapshotId: '' }, /snapshot_id is required/],
    ['Simulate', {}, /plan is required/],
    ['Simulate', { plan: { intent: 'x', steps: [] } }, /plan\.steps: a plan needs at least one step/],
    ['Simulate', { plan: { steps: [{ tool: 'ok' }, { tool: 'Rm -rf' }] } }, /plan\.steps\[1\]\.tool: a tool name is lower case/],
    ['Apply', { plan: { steps: [{ tool: '' }] } }, /plan\.steps\[0\]\.tool: a step needs a tool name/],
    ['Apply', { plan: PLAN, snapshotId: 'has space' }, /snapshot_id is printable ASCII/],
    ['Tripcode', { payload: '' }, /payload is required/],
    ['Tripcode', { payload: '1700000000|HALT' }, /ts\|code\|sig/],
    ['Snapshot', { label: 'bad\nlabel' }, /label has no control characters/],
  ])('%s with invalid input %j is INVALID_ARGUMENT with a clear message', async (method, req, message) => {
    const err = await callError(client, method, req);
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(message);
    expect(backend.calls).toEqual([]);
  });

  it.each<[ErrorCode, grpc.status]>([
    ['NOT_FOUND', grpc.status.NOT_FOUND],
    ['TASK_NOT_FOUND', grpc.status.NOT_FOUND],
    ['VALIDATION_FAILED', grpc.status.INVALID_ARGUMENT],
    ['FORBIDDEN', grpc.status.PERMISSION_DENIED],
    ['CONFLICT', grpc.status.FAILED_PRECONDITION],
    ['INVALID_TRANSITION', grpc.status.FAILED_PRECONDITION],
    ['LEASE_CONFLICT', grpc.status.ABORTED],
    ['UNAUTHENTICATED', grpc.status.UNAUTHENTICATED],
    ['UNAVAILABLE', grpc.status.UNAVAILABLE],
    ['INTERNAL', grpc.status.INTERNAL],
  ])('a backend CorticalError %s arrives as gRPC status %s with its message and code', async (code, status) => {
    backend.failWith = new CorticalError(code, `backend says ${code}`, { runId: 'run-9' });
    const err = await callError(client, 'Verify', { runId: 'run-9' });
    expect(err.code).toBe(status);
    expect(err.details).toBe(`backend says ${code}`);
    expect(err.metadata.get('cortical-error-code')).toEqual([code]);
    expect(JSON.parse(String(err.metadata.get('cortical-error-details')[0]))).toEqual({ runId: 'run-9' });
  });

  it('an unexpected backend error is INTERNAL without its message or stack', async () => {
    backend.failWith = new Error('db password is hunter2 at /srv/secret.ts:12');
    const err = await callError(client, 'Promote', { runId: 'run-1' });
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.details).toBe('internal error');
    expect(JSON.stringify(err.metadata.getMap())).not.toContain('hunter2');
  });

  it('error messages with reserved, non-ASCII and % characters read the same in grpc-js', async () => {
    const message = 'run "r/9" not found: 100% gone; café?';
    backend.failWith = new CorticalError('NOT_FOUND', message);
    const err = await callError(client, 'Promote', { runId: 'r/9' });
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe(message);
    expect(portableGrpcMessage(encodeURIComponent(message))).toBe('run "r/9" not found: 100%25 gone; caf%C3%A9?');
  });

  it.each([
    ['Connect', (baseUrl: string, sessionManager: Http2SessionManager) => createConnectTransport({ baseUrl, httpVersion: '2', sessionManager })],
    ['gRPC-Web', (baseUrl: string, sessionManager: Http2SessionManager) => createGrpcWebTransport({ baseUrl, httpVersion: '2', sessionManager })],
  ])('speaks the %s protocol over HTTP/2 as well', async (_protocol, makeTransport) => {
    const sessionManager = new Http2SessionManager(server.url);
    try {
      const bridge = createClient(Bridge, makeTransport(server.url, sessionManager));
      const res = await bridge.apply({ plan: { intent: 'x', steps: [{ tool: 'noop', args: { a: 'b' } }] } }, { headers: { authorization: 'Bearer secret-operator' } });
      expect(res.runId).toBe('run-7');
      expect(res.logs).toEqual(['step 1 done', 'step 2 done']);
      expect(backend.calls[0]?.args).toEqual([{ intent: 'x', steps: [{ tool: 'noop', args: { a: 'b' } }] }, null]);
      const refused = await bridge.verify({ runId: 'run-7' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConnectError);
      expect((refused as ConnectError).code).toBe(Code.Unauthenticated);
    } finally {
      sessionManager.abort();
    }
  });

  it('close() ends with a client still connected, which then cannot call', async () => {
    const own = await startBridgeServer({ host: '127.0.0.1', port: 0, backend, authenticate: (t) => Promise.resolve(TOKENS[t] ?? null) });
    const c = new ClientCtor(`127.0.0.1:${own.port}`, grpc.credentials.createInsecure());
    try {
      expect(await call(c, 'Promote', { runId: 'run-1' })).toEqual({ ok: true });
      const started = Date.now();
      await own.close();
      // Closing must not wait for the client's idle connection (or for the 5 s cut-off).
      expect(Date.now() - started).toBeLessThan(4_000);
      const err = await callError(c, 'Promote', { runId: 'run-1' });
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      c.close();
    }
  });

  it('a process that serves a connected client exits once close() resolves', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cortical-bridge-'));
    try {
      const script = path.join(dir, 'serve.mts');
      const serverUrl = pathToFileURL(path.join(HERE, 'bridge-server.ts')).href;
      await writeFile(
        script,
        [
          `import { startBridgeServer } from ${JSON.stringify(serverUrl)};`,
          `const ok = () => Promise.resolve({ ok: true });`,
          `const backend = { promote: ok };`,
          `const s = await startBridgeServer({ host: '127.0.0.1', port: 0, backend, authenticate: () => Promise.resolve({ tokenId: 't', role: 'admin', nodeId: null }) });`,
          `process.stdout.write(String(s.port) + '\\n');`,
          `process.stdin.once('data', () => { process.stdin.destroy(); void s.close().then(() => process.stdout.write('closed\\n')); });`,
        ].join('\n'),
      );
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      const child = spawn(process.execPath, ['--import', tsx, script], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let errOut = '';
      child.stderr.on('data', (b: Buffer) => (errOut += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /^(\d+)\n/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        void exited.then((code) => reject(new Error(`server exited early (${code}): ${errOut}`)));
      });
      const c = new ClientCtor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      try {
        expect(await call(c, 'Promote', { runId: 'run-1' }, metadata('any'))).toEqual({ ok: true });
        child.stdin.write('close\n');
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref());
        const result = await Promise.race([exited, timeout]);
        if (result === 'timeout') child.kill('SIGKILL');
        expect(result).toBe(0);
        expect(out).toContain('closed');
      } finally {
        c.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
