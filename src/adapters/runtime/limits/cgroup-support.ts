import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The controllers a sleeve's cgroup uses. */
export const SLEEVE_CONTROLLERS = ['memory', 'pids', 'cpu', 'freezer'] as const;
export type SleeveController = (typeof SLEEVE_CONTROLLERS)[number];

/**
 * What this host offers for per-sleeve cgroups. `v2`: one unified hierarchy at `mountRoot`;
 * `v1`: one hierarchy per controller at `<mountRoot>/<controller>`; `none`: no usable cgroup (the
 * runtime falls back to rlimits). `parents` is the directory per controller under which sleeve
 * cgroups are made; a controller missing from it is unavailable.
 */
export interface CgroupSupport {
  readonly version: 'v2' | 'v1' | 'none';
  readonly parents: Readonly<Partial<Record<SleeveController, string>>>;
  /** v1: memory+swap can be limited (`memory.memsw.limit_in_bytes`). */
  readonly memsw: boolean;
}

const NONE: CgroupSupport = { version: 'none', parents: {}, memsw: false };

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Makes `dir` (and its parents) and checks it can hold child cgroups; false when it cannot. */
function prepare(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    return writable(dir) && existsSync(join(dir, 'cgroup.procs'));
  } catch {
    return false;
  }
}

/** v2 needs the controllers enabled in every `cgroup.subtree_control` from the root down. */
function enableV2Controllers(mountRoot: string, parent: string, wanted: readonly string[]): string[] {
  const available = readFileSync(join(mountRoot, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  const usable = wanted.filter((c) => available.includes(c));
  const rel = parent.slice(mountRoot.length).split('/').filter((p) => p !== '');
  let dir = mountRoot;
  const chain = [dir];
  for (const part of rel) {
    dir = join(dir, part);
    chain.push(dir);
  }
  let enabled = usable;
  for (const d of chain) {
    const next: string[] = [];
    for (const c of enabled) {
      try {
        writeFileSync(join(d, 'cgroup.subtree_control'), `+${c}`);
        next.push(c);
      } catch {
        // A cgroup with processes of its own cannot delegate (v2 "no internal processes").
      }
    }
    enabled = next;
  }
  return enabled;
}

/**
 * Detects cgroup v2 (a `cgroup.controllers` file at the mount root) or v1 (per-controller
 * mounts) and prepares `<parent>` below it, e.g. `/sys/fs/cgroup/memory/cortical` (v1) or
 * `/sys/fs/cgroup/cortical` (v2). Never throws: anything unusable is left out.
 */
export function detectCgroups(mountRoot = '/sys/fs/cgroup', parentName = 'cortical'): CgroupSupport {
  if (process.platform !== 'linux') return NONE;
  try {
    if (existsSync(join(mountRoot, 'cgroup.controllers'))) {
      const parent = join(mountRoot, parentName);
      if (!prepare(parent)) return NONE;
      const enabled = enableV2Controllers(mountRoot, parent, ['memory', 'pids', 'cpu']);
      const parents: Partial<Record<SleeveController, string>> = {};
      for (const c of enabled) parents[c as SleeveController] = parent;
      // The v2 freezer (`cgroup.freeze`) is part of the core, not a controller.
      if (existsSync(join(parent, 'cgroup.freeze'))) parents.freezer = parent;
      return { version: 'v2', parents, memsw: false };
    }
    const parents: Partial<Record<SleeveController, string>> = {};
    for (const c of SLEEVE_CONTROLLERS) {
      const base = join(mountRoot, c);
      if (!existsSync(join(base, 'cgroup.procs'))) continue;
      const parent = join(base, parentName);
      if (prepare(parent)) parents[c] = parent;
    }
    if (Object.keys(parents).length === 0) return NONE;
    const memsw = parents.memory !== undefined && existsSync(join(parents.memory, 'memory.memsw.limit_in_bytes'));
    return { version: 'v1', parents, memsw };
  } catch {
    return NONE;
  }
}
