/**
 * The Bridge against a running HQ (`startHq` with CORTICAL_BRIDGE_PORT and a git pipeline target),
 * called by an independent client: @grpc/grpc-js loading `proto/orchestrator.proto`. Every method
 * is called; Blue moves only at Promote and goes back at Rollback; the pipeline metrics move.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandContext } from '../../src/interfaces/cli/command-context.js';
import { registerPipelineCommands } from '../../src/interfaces/cli/commands/pipeline.js';
import { fakeIo } from '../../src/interfaces/cli/testing/fake-io.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { readEnvConfig } from '../../src/main/config.js';
import { startHq, type RunningHq } from '../../src/main/start-hq.js';

const PROTO = fileURLToPath(new URL('../../proto/orchestrator.proto', import.meta.url));

type Reply = Record<string, unknown>;
type Unary = (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: Reply) => void) => void;
type BridgeClient = grpc.Client & Record<string, Unary>;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } }).trim();
}

let root: string;
let repo: string;
let hq: RunningHq;
let token: string;
let client: BridgeClient;

function call(method: string, req: unknown): Promise<Reply> {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) => client[method]!(req, md, (err, res) => (err !== null ? reject(err) : resolve(res))));
}

async function metric(name: string): Promise<number | null> {
  const res = await fetch(`${hq.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const families = parsePrometheusTextFormat(await res.text());
  const fam = families.find((f) => f.name === name);
  const v = fam?.metrics[0] && 'value' in fam.metrics[0] ? Number(fam.metrics[0].value) : null;
  return v;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cortical-bridge-hq-'));
  repo = join(root, 'blue');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'README.md'), 'blue\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'v1');
  hq = await startHq({
    dataDir: join(root, 'hq'),
    host: '127.0.0.1',
    port: 0,
    env: readEnvConfig({ CORTICAL_BRIDGE_PORT: '0', CORTICAL_PIPELINE_TARGET: `git:${repo}#main` }),
    logger: silentLogger,
  });
  token = hq.createdAdminToken!;
  const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { orchestrator: { Bridge: new (addr: string, creds: grpc.ChannelCredentials) => BridgeClient } };
  client = new pkg.orchestrator.Bridge(hq.bridgeUrl!.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
}, 60_000);

afterAll(async () => {
  client?.close();
  await hq?.close();
  rmSync(root, { recursive: true, force: true });
});

const plan = {
  intent: 'add a greeting',
  steps: [
    { tool: 'write_file', args: { path: 'hello.txt', content: 'hello from green\n' } },
    { tool: 'run_command', args: { command: 'test -s hello.txt' } },
  ],
};

describe('the Bridge on a running HQ, called by a grpc-js client', () => {
  it('Snapshot, Simulate, Apply, Verify, Promote, Rollback and Tripcode all answer; Blue changes only at Promote', async () => {
    const v1 = git(repo, 'rev-parse', 'main');
    expect(await metric('cortical_promote_success_ratio')).toBeNull();

    const snap = await call('Snapshot', { label: 'before greeting' });
    expect(snap).toMatchObject({ ok: true, snapshotId: `blue:${v1}` });

    const sim = await call('Simulate', { plan });
    expect(sim.ok).toBe(true);
    expect((sim.diffs as string[]).join('\n')).toContain('hello from green');
    expect(String(sim.report)).toContain('plan allowed');
    expect(git(repo, 'rev-parse', 'main')).toBe(v1);

    const applied = await call('Apply', { plan, snapshotId: snap.snapshotId });
    expect(applied.ok, JSON.stringify(applied.logs)).toBe(true);
    expect(String(applied.runId)).toMatch(/^pipe_/);
    expect(git(repo, 'rev-parse', 'main')).toBe(v1);

    const verified = await call('Verify', { runId: applied.runId });
    expect(verified.ok, JSON.stringify(verified.checks)).toBe(true);
    expect(git(repo, 'rev-parse', 'main')).toBe(v1);

    expect(await call('Promote', { runId: applied.runId })).toEqual({ ok: true });
    const v2 = git(repo, 'rev-parse', 'main');
    expect(v2).not.toBe(v1);
    expect(git(repo, 'show', `${v2}:hello.txt`)).toBe('hello from green');
    expect(await metric('cortical_promote_success_ratio')).toBe(1);
    expect(await metric('cortical_plan_typeability_ratio')).toBe(1);

    expect(await call('Rollback', { snapshotId: snap.snapshotId })).toEqual({ ok: true });
    expect(git(repo, 'rev-parse', 'main')).toBe(v1);

    // a tripcode issued through the REST API, applied through the Bridge, once
    const issued = await fetch(`${hq.url}/api/v1/tripcodes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'RECOVERY:DIAGNOSTIC::basic' }),
    }).then((r) => r.json() as Promise<{ payload: string }>);
    const first = await call('Tripcode', { payload: issued.payload });
    expect(first).toMatchObject({ ok: true, code: 'RECOVERY:DIAGNOSTIC::basic' });
    expect(String(first.detail)).toContain('diagnostics-');
    const again = await call('Tripcode', { payload: issued.payload });
    expect(again).toMatchObject({ ok: false, code: 'RECOVERY:DIAGNOSTIC::basic' });
    expect(String(again.detail)).toMatch(/^replayed/);
  }, 120_000);

  it('a call without a token is refused, and a plan the policy refuses is not applied', async () => {
    await expect(
      new Promise((resolve, reject) => client['Snapshot']!({ label: 'x' }, new grpc.Metadata(), (err, res) => (err !== null ? reject(err) : resolve(res)))),
    ).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const v = git(repo, 'rev-parse', 'main');
    const unknownTool = await call('Apply', { plan: { intent: 'wipe', steps: [{ tool: 'format_disk', args: { device: '/dev/sda' } }] }, snapshotId: '' });
    expect(unknownTool.ok).toBe(false);
    expect((unknownTool.logs as string[]).join('\n')).toMatch(/aborted: plan refused/);
    // T3 without a tripcode never runs (the debate or the preconditions stop it)
    const wipe = await call('Apply', { plan: { intent: 'wipe', steps: [{ tool: 'run_command', args: { command: 'rm -rf /' } }] }, snapshotId: '' });
    expect(wipe.ok).toBe(false);
    expect((wipe.logs as string[]).join('\n')).toMatch(/aborted: (debate REJECT|preconditions failed)/);
    expect(git(repo, 'rev-parse', 'main')).toBe(v);
  }, 60_000);

  it('the runs are listed (paged) and shown through the REST API and `cortical pipeline`', async () => {
    const page1 = await fetch(`${hq.url}/api/v1/pipeline/runs?limit=1`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<{ items: { id: string; state: string }[]; nextCursor: string | null }>);
    expect(page1.items).toHaveLength(1);
    expect(page1.nextCursor).not.toBeNull();
    const all = await fetch(`${hq.url}/api/v1/pipeline/runs?limit=500`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<{ items: { id: string; state: string }[] }>);
    const promoted = all.items.find((r) => r.state === 'PROMOTED');
    expect(promoted).toBeDefined();
    expect(all.items.filter((r) => r.state === 'ABORTED').length).toBeGreaterThanOrEqual(2);
    const missing = await fetch(`${hq.url}/api/v1/pipeline/runs/pipe_nope`, { headers: { authorization: `Bearer ${token}` } });
    expect(missing.status).toBe(404);

    const cli = async (...argv: string[]) => {
      const io = fakeIo(argv, { env: { CORTICAL_HQ: hq.url, CORTICAL_TOKEN: token } });
      const ctx = new CommandContext(io);
      const program = new Command('cortical').option('--hq <url>').option('--token <token>').exitOverride();
      registerPipelineCommands(program, ctx);
      await program.parseAsync(argv, { from: 'user' });
      return io.out();
    };
    const listed = await cli('pipeline', 'list');
    expect(listed).toContain(`${promoted!.id}  PROMOTED`);
    expect(listed).toMatch(/ABORTED at PLAN/);
    const shown = await cli('pipeline', 'show', promoted!.id);
    expect(shown).toMatch(/plan: allowed, max tier T1/);
    expect(shown).toMatch(/debate: ACCEPT/);
    expect(shown).toMatch(/step 0 write_file \(T1\): ok/);
    expect(shown).toMatch(/verify: passed, artifacts [0-9a-f]{16}/);
    expect(shown).toMatch(/promoted: [0-9a-f]{40}/);
  }, 60_000);
});
