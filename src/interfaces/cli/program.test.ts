import { describe, expect, it, vi } from 'vitest';
import { buildProgram, runCli } from './program.js';
import type { GcReport } from '../../core/ports/workspace-gc.js';
import type { GcCommandOptions, HqOptions, NodeOptions, ServerRunners, UpOptions } from './server-runners.js';
import { fakeIo } from './testing/fake-io.js';

function runners() {
  return {
    up: vi.fn<(o: UpOptions) => Promise<number | void>>(() => Promise.resolve()),
    hq: vi.fn<(o: HqOptions) => Promise<number | void>>(() => Promise.resolve(3)),
    node: vi.fn<(o: NodeOptions) => Promise<number | void>>(() => Promise.resolve()),
    gc: vi.fn<(o: GcCommandOptions) => Promise<GcReport>>(() => Promise.resolve(SAMPLE_GC_REPORT)),
  } satisfies ServerRunners;
}

const SAMPLE_GC_REPORT: GcReport = {
  dryRun: true,
  root: '/data/node/workspaces',
  scanned: 3,
  skipped: [],
  plan: {
    remove: [{ taskId: 'task_old', path: '/data/node/workspaces/task_old', sizeBytes: 5 * 1024 ** 2, why: 'expired' }],
    keep: [],
    totalBytesBefore: 5 * 1024 ** 2,
    freedBytes: 5 * 1024 ** 2,
    totalBytesAfter: 0,
    overQuota: false,
  },
  removed: [],
  failed: [],
  freedBytes: 5 * 1024 ** 2,
};


/** Settings that point nowhere: validation must fail before any request is made. */
const env = { CORTICAL_HQ: 'http://127.0.0.1:9', CORTICAL_TOKEN: 'tok_x.y' };

async function cli(argv: string[], r = runners()) {
  const fetch = vi.fn(() => Promise.reject(new Error('no request expected')));
  const io = fakeIo(argv, { env, fetch: fetch as unknown as typeof globalThis.fetch });
  const code = await runCli(io, r);
  return { code, out: io.out(), err: io.errText(), fetch, r };
}

describe('usage errors exit 2 with a helpful message, before any request', () => {
  it.each([
    [['run', '--mode', 'forever', 'x'], /option '--mode <mode>' argument 'forever' is invalid\. Allowed choices are once, loop/],
    [['run', '--max-iterations', 'abc', 'x'], /--max-iterations <n>' argument 'abc' is invalid\. expected a whole number from 1 to 1000000, or 'unlimited'/],
    [['run', '--max-iterations', '0', 'x'], /argument '0' is invalid/],
    [['run', '--timeout', 'soon', 'x'], /invalid duration 'soon'/],
    [['run', '--priority', '5000', 'x'], /expected an integer from -1000 to 1000/],
    [['run', '--label', 'novalue', 'x'], /expected key=value/],
    [['run', '--requires', 'GPU', 'x'], /'GPU' is not a capability name/],
    [['run', '--agent', 'Bad Agent', 'x'], /invalid task: .*agent: a driver name/],
    [['run', '--base-ref', 'main', 'x'], /--base-ref needs --repo/],
    [['run'], /a prompt is required/],
    [['tasks', 'ls', '--state', 'running,weird'], /unknown task state 'weird'; accepted: queued/],
    [['tasks', 'ls', '--limit', '501'], /expected a whole number from 1 to 500/],
    [['token', 'create'], /required option '--role <role>' not specified/],
    [['token', 'create', '--role', 'root'], /Allowed choices are admin, operator, viewer, node/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['tasks', 'lss'], /unknown command 'lss'[\s\S]*Did you mean ls\?/],
    [['tasks', 'show'], /missing required argument 'id'/],
    [['status', '--bogus'], /unknown option '--bogus'/],
    [['up', '--port', '70000'], /expected a port number from 0 to 65535/],
    [['up', '--slots', '0'], /expected a whole number from 1 to 1024/],
    [['node', '--join-token', 't'], /--hq URL/],
  ])('%j', async (argv, message) => {
    const r = runners();
    const io = fakeIo(argv, { env: argv[0] === 'node' ? {} : env, fetch: vi.fn() as unknown as typeof fetch });
    const code = await runCli(io, r);
    expect(code).toBe(2);
    expect(io.errText()).toMatch(message);
    expect(io.fetch).not.toHaveBeenCalled();
    expect(r.up).not.toHaveBeenCalled();
  });

  it('a missing subcommand shows help and exits 2', async () => {
    const { code, err } = await cli(['tasks']);
    expect(code).toBe(2);
    expect(err).toMatch(/Usage: cortical tasks/);
  });
});

describe('help and version exit 0', () => {
  it('--help lists the commands and the settings precedence', async () => {
    const { code, out } = await cli(['--help']);
    expect(code).toBe(0);
    for (const c of ['up', 'hq', 'node', 'run', 'tasks', 'nodes', 'killswitch', 'status', 'token']) {
      expect(out).toMatch(new RegExp(`\\n  ${c}\\b`));
    }
    expect(out).toMatch(/CORTICAL_HQ/);
  });

  it('--version', async () => {
    const { code, out } = await cli(['--version']);
    expect(code).toBe(0);
    expect(out.trim()).toBe('0.0.0-test');
  });

  it('buildProgram exposes the command tree', () => {
    const program = buildProgram(fakeIo([]), runners());
    expect(program.commands.map((c) => c.name())).toEqual(
      expect.arrayContaining(['up', 'hq', 'node', 'run', 'tasks', 'nodes', 'killswitch', 'status', 'token']),
    );
  });
});

describe('server commands parse options and call the runner', () => {
  it('up: defaults and overrides; prints the banner from onReady', async () => {
    const r = runners();
    r.up.mockImplementation((o: UpOptions) => {
      o.onReady({ url: 'http://127.0.0.1:7470', tokenFile: '/d/admin.token', contextFile: '/d/context.json', nodeName: 'mini' });
      return Promise.resolve();
    });
    const io = fakeIo(['up'], { homedir: '/home/u' });
    expect(await runCli(io, r)).toBe(0);
    expect(r.up).toHaveBeenCalledWith(
      expect.objectContaining({ host: '127.0.0.1', port: 7470, dataDir: '/home/u/.cortical', nodeName: null, capabilities: null, slots: null }),
    );
    expect(io.out()).toMatch(/HQ at http:\/\/127\.0\.0\.1:7470/);
    expect(io.out()).toMatch(/admin token: \/d\/admin\.token/);

    const io2 = fakeIo(['up', '--port', '0', '--host', '0.0.0.0', '--data-dir', 'data', '--name', 'box', '--capabilities', 'shell,gpu,shell', '--slots', '4']);
    expect(await runCli(io2, r)).toBe(0);
    expect(r.up).toHaveBeenLastCalledWith(
      expect.objectContaining({ host: '0.0.0.0', port: 0, dataDir: '/work/here/data', nodeName: 'box', capabilities: ['shell', 'gpu'], slots: 4 }),
    );
  });

  it('hq: the runner exit code is returned', async () => {
    const { code, r } = await cli(['hq', '--port', '8000']);
    expect(code).toBe(3);
    expect(r.hq).toHaveBeenCalledWith(expect.objectContaining({ port: 8000, host: '127.0.0.1' }));
  });

  it('node: --hq (global) and --join-token, work dir resolved', async () => {
    const { code, r } = await cli(['node', '--hq', 'http://hq.lan:7470/', '--join-token', 'tok_j.secret', '--work-dir', 'ws', '--capabilities', 'claude', '--slots', '2']);
    expect(code).toBe(0);
    expect(r.node).toHaveBeenCalledWith(
      expect.objectContaining({ hq: 'http://hq.lan:7470', joinToken: 'tok_j.secret', workDir: '/work/here/ws', capabilities: ['claude'], slots: 2, nodeName: null }),
    );
  });

  it('node: without a join token the runner gets null (it re-joins with its stored credential)', async () => {
    const r = runners();
    const io = fakeIo(['node', '--hq', 'http://hq:1'], { fetch: vi.fn() as unknown as typeof fetch });
    expect(await runCli(io, r)).toBe(0);
    expect(r.node).toHaveBeenCalledWith(expect.objectContaining({ hq: 'http://hq:1', joinToken: null }));
  });

  it('hq: backend flags reach the runner raw; node: --hq and $CORTICAL_HQ take a list of replicas', async () => {
    const r = runners();
    const hqArgs = ['hq', '--preset', 'cluster', '--store', 'postgres://db/c', '--bus', 'nats://a:4222,b:4222', '--config', 'c.json'];
    expect(await runCli(fakeIo(hqArgs), r)).toBe(3); // the stand-in runner's exit code
    expect(r.hq).toHaveBeenCalledWith(expect.objectContaining({ preset: 'cluster', store: 'postgres://db/c', bus: 'nats://a:4222,b:4222', configFile: '/work/here/c.json' }));
    expect(await runCli(fakeIo(['node', '--hq', 'http://hq1:7470/, http://hq2:7470,http://hq1:7470']), r)).toBe(0);
    expect(r.node).toHaveBeenLastCalledWith(expect.objectContaining({ hq: 'http://hq1:7470', hqUrls: ['http://hq1:7470', 'http://hq2:7470'] }));
    expect(await runCli(fakeIo(['node'], { env: { CORTICAL_HQ: 'http://a:1,http://b:2' } }), r)).toBe(0);
    expect(r.node).toHaveBeenLastCalledWith(expect.objectContaining({ hqUrls: ['http://a:1', 'http://b:2'] }));
    const bad = fakeIo(['node', '--hq', 'http://a:1,ftp://b']);
    expect(await runCli(bad, r)).toBe(2);
    expect(bad.errText()).toMatch(/invalid HQ URL 'ftp:\/\/b'/);
  });

  it('node and up: workspace retention flags reach the runner', async () => {
    const r = runners();
    expect(await runCli(fakeIo(['node', '--hq', 'http://hq:1', '--gc-keep-days', 'off', '--gc-max-gb', '20']), r)).toBe(0);
    expect(r.node).toHaveBeenCalledWith(expect.objectContaining({ gcKeepDays: null, gcMaxGb: 20 }));
    expect(await runCli(fakeIo(['up']), r)).toBe(0);
    expect(r.up).toHaveBeenCalledWith(expect.objectContaining({ gcKeepDays: 7, gcMaxGb: null, runtime: 'auto', warmPool: 2 }));
  });

  it('nodes gc: runs locally on the work dir and prints the plan', async () => {
    const r = runners();
    const io = fakeIo(['nodes', 'gc', '--dry-run', '--work-dir', 'wd', '--keep-days', '3', '--max-gb', '1.5']);
    expect(await runCli(io, r)).toBe(0);
    expect(r.gc).toHaveBeenCalledWith({ workDir: '/work/here/wd', keepDays: 3, maxGb: 1.5, dryRun: true, deleteBranches: false });
    expect(io.out()).toMatch(/task_old\s+5\.0 MiB\s+expired\s+planned/);
    expect(io.out()).toMatch(/would remove 1 \(5\.0 MiB\)/);
  });
});
