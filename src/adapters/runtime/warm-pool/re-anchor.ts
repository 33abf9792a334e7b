import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Moving a task's directories into a warm sleeve and back. A warm sleeve has one empty slot per
 * anchor (`<entry>/<n>`), bound at the anchor's path inside it; a claim renames the task's
 * `<anchor>/<name>` into the slot (so the sleeve sees it at the very same path) and leaves a
 * symbolic link at the old host path, so that the node's own code keeps working during the run.
 * All of it is rename(2) on one filesystem: no copy, no mount.
 */

/** A directory moved into a slot: its host path and where it is now. */
export interface MovedPath {
  readonly original: string;
  readonly moved: string;
}

/** `path` as (anchor index, entry name) when it is a direct child of an anchor, else null. */
export function anchorOf(path: string, anchors: readonly string[]): { index: number; name: string } | null {
  const p = resolve(path);
  const index = anchors.findIndex((a) => resolve(a) === dirname(p));
  if (index < 0) return null;
  const name = basename(p);
  return name === '' || name === '.' || name === '..' ? null : { index, name };
}

/**
 * Renames each `original` to `moved` and puts a symbolic link to `moved` at `original`. All or
 * nothing: on a failure what was moved is moved back and the error is thrown.
 */
export function moveIn(paths: readonly MovedPath[]): void {
  const done: MovedPath[] = [];
  try {
    for (const p of paths) {
      renameSync(p.original, p.moved);
      done.push(p);
      symlinkSync(p.moved, p.original);
    }
  } catch (e) {
    moveBack(done);
    throw e;
  }
}

/**
 * Moves each directory back to its original path, replacing the link left there. Only a real
 * directory is moved back (never a link or file put in its place by the sleeve). A real directory
 * found at the original path (someone made a new one meanwhile) is kept; the moved one then goes
 * next to it as `<original>.recovered-<n>` rather than being lost. Never throws; returns the
 * moved paths it could not move back (they stay where they are, for inspection), after removing
 * a link of ours that would otherwise dangle.
 */
export function moveBack(paths: readonly MovedPath[]): string[] {
  const failed: string[] = [];
  for (const p of paths) {
    try {
      if (isLink(p.moved) || !lstatSync(p.moved).isDirectory()) throw new Error('not a directory');
      if (isLink(p.original)) unlinkSync(p.original);
      let target = p.original;
      for (let n = 1; existsSync(target) || isLink(target); n++) target = `${p.original}.recovered-${n}`;
      renameSync(p.moved, target);
    } catch {
      failed.push(p.moved);
      try {
        if (linksTo(p.original, p.moved)) unlinkSync(p.original);
      } catch {
        // leave it
      }
    }
  }
  return failed;
}

/** Whether `link` is a symbolic link pointing at `target`. */
export function linksTo(link: string, target: string): boolean {
  try {
    return isLink(link) && resolve(dirname(link), readlinkSync(link)) === resolve(target);
  } catch {
    return false;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The file in each entry directory that names its anchors (slot `n` belongs to anchor `n`). */
export const ANCHORS_FILE = 'anchors.json';
const AnchorsFile = z.object({ anchors: z.array(z.string().min(1)) });

export function anchorsFileText(anchors: readonly string[]): string {
  return JSON.stringify({ anchors: anchors.map((a) => resolve(a)) });
}

/** The anchors an entry directory was made for, or null when its file is missing or invalid. */
export function readAnchors(entryDir: string): string[] | null {
  try {
    const parsed = AnchorsFile.safeParse(JSON.parse(readFileSync(join(entryDir, ANCHORS_FILE), 'utf8')));
    return parsed.success ? parsed.data.anchors : null;
  } catch {
    return null;
  }
}

/** What a recovery found in a pool directory left by a node that did not shut down cleanly. */
export interface RecoveryReport {
  readonly entries: number;
  /** Directories moved back to their anchors. */
  readonly movedBack: readonly string[];
  /** Directories that could not be moved back (left in place, with their entry directory). */
  readonly failed: readonly string[];
}

/**
 * Moves every directory found in a slot of `poolDir` back to its anchor, replacing the link
 * there, then removes the emptied entry directories. Only directories that the anchor's link
 * still points at are moved: anything else in a slot was not put there by a claim (a sleeve
 * whose uid owns its slot, under a non-root node, can create entries there) and is reported and
 * left in place. The sandboxes themselves are gone: they die with the node that started them.
 */
export function recoverPoolDir(poolDir: string): RecoveryReport {
  const movedBack: string[] = [];
  const failed: string[] = [];
  let entries = 0;
  let names: string[];
  try {
    names = readdirSync(poolDir);
  } catch {
    return { entries, movedBack, failed };
  }
  for (const entry of names) {
    const dir = join(poolDir, entry);
    if (!lstatSync(dir).isDirectory()) continue;
    entries += 1;
    const anchors = readAnchors(dir);
    const stuck: string[] = [];
    for (const [index, anchor] of (anchors ?? []).entries()) {
      const slot = join(dir, String(index));
      let children: string[];
      try {
        children = readdirSync(slot);
      } catch {
        continue;
      }
      for (const name of children) {
        const p = { original: join(anchor, name), moved: join(slot, name) };
        if (!linksTo(p.original, p.moved) || moveBack([p]).length > 0) stuck.push(p.moved);
        else movedBack.push(p.original);
      }
    }
    if (anchors === null) stuck.push(...slotChildren(dir));
    if (stuck.length === 0) rmSync(dir, { recursive: true, force: true });
    failed.push(...stuck);
  }
  return { entries, movedBack, failed };
}

/** Anything inside the numbered slots of an entry whose anchors are unknown (kept, reported). */
function slotChildren(entryDir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(entryDir)) {
    if (!/^\d+$/.test(n)) continue;
    try {
      for (const c of readdirSync(join(entryDir, n))) out.push(join(entryDir, n, c));
    } catch {
      // not a directory
    }
  }
  return out;
}
