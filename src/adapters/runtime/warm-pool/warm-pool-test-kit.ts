/** Helpers shared by the warm pool tests (not used by the pool itself). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpawnSpec } from '../../../core/ports/runtime.js';
import { DEFAULT_SANDBOX, type SleeveLimits } from '../../../core/sandbox.js';
import { BubblewrapRuntime } from '../bubblewrap/bubblewrap-runtime.js';
import { WarmPool, type WarmPoolOptions } from './warm-pool.js';
import { WarmPoolRuntime } from './warm-pool-runtime.js';

/** A node-like layout in a fresh temporary directory: `<work>/workspaces`, `<work>/homes`, the pool. */
export interface WarmLayout {
  readonly root: string;
  readonly work: string;
  readonly anchors: readonly [string, string];
  readonly poolDir: string;
  /** Makes a task's workspace and home (empty directories). */
  task(id: string): { ws: string; home: string };
  remove(): void;
}

export function warmLayout(prefix = 'cortical-warm-'): WarmLayout {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const work = join(root, 'work');
  const anchors = [join(work, 'workspaces'), join(work, 'homes')] as const;
  for (const a of anchors) mkdirSync(a, { recursive: true });
  return {
    root,
    work,
    anchors,
    poolDir: join(work, 'warm-pool'),
    task(id) {
      const ws = join(anchors[0], id);
      const home = join(anchors[1], id);
      mkdirSync(ws, { recursive: true });
      mkdirSync(home, { recursive: true });
      return { ws, home };
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A warm pool runtime over `layout` (the work dir hidden, as a node does), started. */
export function warmRuntime(
  layout: WarmLayout,
  opts: Partial<WarmPoolOptions> & { limits?: SleeveLimits; monitorIntervalMs?: number } = {},
): WarmPoolRuntime {
  const cold = new BubblewrapRuntime({ hiddenPaths: [layout.work], monitorIntervalMs: opts.monitorIntervalMs ?? 50 });
  const pool = new WarmPool(cold, {
    size: 2,
    anchors: layout.anchors,
    poolDir: layout.poolDir,
    profiles: [{ network: 'none', limits: opts.limits ?? DEFAULT_SANDBOX.limits }],
    ...opts,
  });
  pool.start();
  return new WarmPoolRuntime(cold, pool);
}

/** A spec for a task of the layout: its workspace as cwd, its home writable and as HOME. */
export function taskSpec(t: { ws: string; home: string }, command: string, args: string[], extra: Partial<SpawnSpec> = {}): SpawnSpec {
  return {
    command,
    args,
    cwd: t.ws,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: t.home },
    writablePaths: [t.home],
    sandbox: DEFAULT_SANDBOX,
    ...extra,
  };
}
