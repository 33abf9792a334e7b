import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX } from '../../../core/sandbox.js';
import { BubblewrapRuntime } from '../bubblewrap/bubblewrap-runtime.js';
import { runToEnd } from '../bubblewrap/sleeve-test-kit.js';
import { FIXTURES_DIR } from '../runtime.contract.js';
import { anchorsFileText } from './re-anchor.js';
import { WarmPool } from './warm-pool.js';
import { taskSpec, warmLayout, warmRuntime } from './warm-pool-test-kit.js';

const available = await BubblewrapRuntime.available();
const sh = (script: string): [string, string[]] => ['/bin/sh', ['-c', script]];

describe.skipIf(!available)('WarmPoolRuntime', () => {
  const layout = warmLayout();
  const runtime = warmRuntime(layout);
  afterAll(async () => {
    await runtime.close();
    layout.remove();
  });
  /** Runs `spec` on a full pool and checks that it was a warm claim. */
  const claim = async (spec: Parameters<typeof runtime.spawn>[0]) => {
    await runtime.pool.whenFull();
    const before = runtime.pool.stats().claims;
    const r = await runToEnd(runtime, spec);
    expect(runtime.pool.stats().claims).toBe(before + 1);
    return r;
  };

  it('re-anchors the workspace: what the agent writes lands at the original path, the link is gone after exit', async () => {
    const t = layout.task('write');
    writeFileSync(join(t.ws, 'before.txt'), 'from the node\n');
    const r = await claim(taskSpec(t, ...sh('cat before.txt; pwd; echo agent > made.txt; echo home > "$HOME/h.txt"')));
    expect(r.exit).toEqual({ exitCode: 0, signal: null, endedBy: 'exit' });
    expect(r.stdout).toEqual(['from the node', t.ws]);
    expect(lstatSync(t.ws).isDirectory()).toBe(true);
    expect(readFileSync(join(t.ws, 'made.txt'), 'utf8')).toBe('agent\n');
    expect(readFileSync(join(t.home, 'h.txt'), 'utf8')).toBe('home\n');
    await runtime.pool.whenFull();
    const leftovers = readdirSync(layout.poolDir).flatMap((e) => ['0', '1'].flatMap((n) => readdirSync(join(layout.poolDir, e, n))));
    expect(leftovers).toEqual([]);
  });

  it('leaves a link at the host path while the sleeve runs, and moves the workspace back on stop', async () => {
    const t = layout.task('stop');
    await runtime.pool.whenFull();
    const sleeve = await runtime.spawn(taskSpec(t, ...sh('echo ready; exec sleep 30')));
    const lines = sleeve.lines[Symbol.asyncIterator]();
    expect((await lines.next()).value).toEqual({ stream: 'stdout', text: 'ready' });
    expect(lstatSync(t.ws).isSymbolicLink()).toBe(true);
    expect(realpathSync(t.ws).startsWith(layout.poolDir)).toBe(true);
    const exit = await sleeve.stop(2000);
    expect(exit.endedBy).toBe('stopped');
    expect(lstatSync(t.ws).isDirectory()).toBe(true);
    expect(lstatSync(t.home).isDirectory()).toBe(true);
  });

  it('gives the command exactly the spec environment, quotes and newlines intact, and stdin', async () => {
    const t = layout.task('env');
    const tricky = `it's "quoted" $HOME \`x\` \\ \n second line`;
    const r = await claim({
      ...taskSpec(t, process.execPath, [join(FIXTURES_DIR, 'print-env.mjs'), tricky]),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: t.home, TRICKY: tricky },
      stdin: 'to stdin',
    });
    const report = JSON.parse(r.stdout.at(-1)!) as { env: Record<string, string>; cwd: string; stdin: string };
    expect(report.env).toEqual({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: t.home, TRICKY: tricky });
    expect(report.cwd).toBe(t.ws);
    expect(report.stdin).toBe('to stdin');
  });

  it('gives each claim a fresh sandbox and hides other workspaces', async () => {
    const a = layout.task('fresh-a');
    const b = layout.task('fresh-b');
    writeFileSync(join(b.ws, 'secret.txt'), 'b only');
    const first = await claim(taskSpec(a, ...sh(`echo a > /tmp/mark; ls ${layout.anchors[0]} 2>&1; cat ${join(b.ws, 'secret.txt')} 2>&1; echo done`)));
    expect(first.stdout).not.toContain('b only');
    expect(first.stdout).not.toContain('fresh-b');
    expect(first.stdout.at(-1)).toBe('done');
    const second = await claim(taskSpec(b, ...sh('cat /tmp/mark 2>/dev/null || echo no-mark; cat secret.txt')));
    expect(second.stdout).toEqual(['no-mark', 'b only']);
  });

  it('cannot read the node files, see the pool or write next to its workspace', async () => {
    const t = layout.task('contain');
    writeFileSync(join(layout.work, 'node.json'), 'node-secret-credential');
    const r = await claim(
      taskSpec(
        t,
        ...sh(
          [
            `cat ${join(layout.work, 'node.json')} 2>/dev/null || echo no-credential`,
            `ls -A ${layout.poolDir} | wc -l`,
            `touch ${join(layout.anchors[0], 'sibling')} 2>/dev/null || echo no-sibling`,
            `touch ${join(layout.work, 'x')} 2>/dev/null || echo work-read-only`,
            'cat /proc/1/environ 2>/dev/null | tr "\\0" "\\n" | grep -c . || true',
            'id -u',
          ].join('; '),
        ),
      ),
    );
    expect(r.stdout).toEqual(['no-credential', '0', 'no-sibling', 'work-read-only', '0', '1000']);
    expect(existsSync(join(layout.anchors[0], 'sibling'))).toBe(false);
  });

  it('starts a second sleeve on a workspace in use cold, and both work on the same files', async () => {
    const t = layout.task('twice');
    await runtime.pool.whenFull();
    const before = runtime.pool.stats().fallbacks.in_use;
    const first = await runtime.spawn(taskSpec(t, ...sh('echo one > one.txt; echo ready; exec sleep 30')));
    const lines = first.lines[Symbol.asyncIterator]();
    expect((await lines.next()).value).toEqual({ stream: 'stdout', text: 'ready' });
    const second = await runToEnd(runtime, taskSpec(t, ...sh('cat one.txt; echo two > two.txt')));
    expect(runtime.pool.stats().fallbacks.in_use).toBe(before + 1);
    expect(second.stdout).toEqual(['one']);
    await first.stop(1000);
    expect(lstatSync(t.ws).isDirectory()).toBe(true);
    expect(readdirSync(t.ws).sort()).toEqual(['one.txt', 'two.txt']);
  });

  it('counts the reasons of spawns that go cold', async () => {
    const t = layout.task('cold');
    const before = runtime.pool.stats().fallbacks;
    const ro = await runToEnd(runtime, taskSpec(t, '/bin/true', [], { readOnlyPaths: [join(t.ws, 'x')] }));
    expect(ro.exit.exitCode).toBe(0);
    const elsewhere = join(layout.root, 'elsewhere');
    mkdirSync(elsewhere);
    const outside = await runToEnd(runtime, { ...taskSpec(t, '/bin/true', []), cwd: elsewhere, env: { PATH: '/usr/bin:/bin' }, writablePaths: [] });
    expect(outside.exit.exitCode).toBe(0);
    const limits = { ...DEFAULT_SANDBOX.limits, maxOpenFiles: 512 };
    const other = await runToEnd(runtime, taskSpec(t, '/bin/true', [], { sandbox: { network: { mode: 'none', allow: [] }, limits } }));
    expect(other.exit.exitCode).toBe(0);
    await runtime.spawn(taskSpec(t, '/bin/true', [], { sandbox: { network: { mode: 'allowlist', allow: ['example.com'] }, limits } })).catch(() => undefined);
    const after = runtime.pool.stats().fallbacks;
    expect(after.read_only_paths - before.read_only_paths).toBe(1);
    expect(after.outside_anchors - before.outside_anchors).toBe(1);
    expect(after.new_profile - before.new_profile).toBe(1);
    expect(after.network_allowlist - before.network_allowlist).toBe(1);
    // The new profile is warm from now on.
    await runtime.pool.whenFull();
    const again = await claim(taskSpec(t, ...sh('ulimit -n'), { sandbox: { network: { mode: 'none', allow: [] }, limits } }));
    expect(again.stdout).toEqual(['512']);
  });
});

describe.skipIf(!available)('WarmPool limits and life cycle', () => {
  const layout = warmLayout('cortical-warm-limits-');
  afterAll(() => layout.remove());

  it.skipIf(!new BubblewrapRuntime().enforcement.maxProcesses?.startsWith('cgroup'))(
    'enforces the profile limits in a claimed sleeve (a fork bomb ends with pids_limit)',
    async () => {
      const limits = { ...DEFAULT_SANDBOX.limits, maxProcesses: 64 };
      const runtime = warmRuntime(layout, { limits, size: 1 });
      try {
        await runtime.pool.whenFull();
        const t = layout.task('fork');
        const spec = taskSpec(t, process.execPath, [join(FIXTURES_DIR, 'fork-bomb.mjs'), '2000'], { sandbox: { network: { mode: 'none', allow: [] }, limits } });
        const r = await runToEnd(runtime, spec);
        expect(runtime.pool.stats().claims).toBe(1);
        expect(r.stdout).not.toContain('not limited');
        expect(r.exit.reason).toBe('pids_limit');
        expect(lstatSync(t.ws).isDirectory()).toBe(true);
      } finally {
        await runtime.close();
      }
    },
  );

  it('close kills the idle sleeves and removes their slots and cgroups', async () => {
    const runtime = warmRuntime(layout, { size: 2 });
    await runtime.pool.whenFull();
    const entries = readdirSync(layout.poolDir);
    expect(entries.length).toBe(2);
    await runtime.close();
    expect(readdirSync(layout.poolDir)).toEqual([]);
    for (const e of entries) for (const c of ['pids/cortical', 'memory/cortical', 'cortical']) expect(existsSync(join('/sys/fs/cgroup', c, e))).toBe(false);
    expect(runtime.pool.stats().idle).toBe(0);
    const t = layout.task('after-close');
    const r = await runToEnd(runtime, taskSpec(t, '/bin/true', []));
    expect(r.exit.exitCode).toBe(0);
    expect(runtime.pool.stats().fallbacks.pool_closed).toBe(1);
  });

  it('moves a workspace left in a slot by a crashed node back to its anchor on start', async () => {
    const entry = join(layout.poolDir, 'warm-crashed');
    mkdirSync(join(entry, '0', 'lost-task'), { recursive: true });
    mkdirSync(join(entry, '1'), { recursive: true });
    writeFileSync(join(entry, 'anchors.json'), anchorsFileText(layout.anchors));
    writeFileSync(join(entry, '0', 'lost-task', 'work.txt'), 'unsaved work');
    const original = join(layout.anchors[0], 'lost-task');
    symlinkSync(join(entry, '0', 'lost-task'), original);
    const pool = new WarmPool(new BubblewrapRuntime(), { size: 0, anchors: layout.anchors, poolDir: layout.poolDir });
    const recovering = new WarmPool(new BubblewrapRuntime({ hiddenPaths: [layout.work] }), { size: 1, anchors: layout.anchors, poolDir: layout.poolDir });
    pool.start();
    expect(lstatSync(original).isSymbolicLink()).toBe(true); // size 0: the pool is off and touches nothing
    recovering.start();
    try {
      expect(lstatSync(original).isDirectory()).toBe(true);
      expect(readFileSync(join(original, 'work.txt'), 'utf8')).toBe('unsaved work');
      expect(existsSync(entry)).toBe(false);
      expect(recovering.stats().recovered).toBe(1);
    } finally {
      await recovering.close();
    }
  });

  it('backs off instead of retrying at once when sandboxes cannot start', async () => {
    const broken = new BubblewrapRuntime({ bwrapPath: '/nonexistent/bwrap', hiddenPaths: [layout.work] });
    const pool = new WarmPool(broken, {
      size: 2,
      anchors: layout.anchors,
      poolDir: layout.poolDir,
      profiles: [{ network: 'none', limits: DEFAULT_SANDBOX.limits }],
      backoffMs: { min: 100, max: 100_000 },
    });
    pool.start();
    await new Promise((r) => setTimeout(r, 500));
    const failures = pool.stats().refillFailures;
    // 100 + 200 ms of back-off fit in 500 ms, 100 + 200 + 400 do not: at most 3 tries.
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(failures).toBeLessThanOrEqual(3);
    expect(pool.stats().idle).toBe(0);
    await pool.close();
    expect(readdirSync(layout.poolDir)).toEqual([]);
  });
});

describe.skipIf(available)('WarmPoolRuntime', () => {
  it.skip('skipped: bwrap not available', () => undefined);
});
