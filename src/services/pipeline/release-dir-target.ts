/**
 * Blue as a release directory: `<root>/releases/<id>/` holds each release's files and
 * `<root>/current` is a symlink to `releases/<id>`. Promotion exports Green's committed tree into
 * a content-addressed release (`id` = the first 32 hex digits of its tree digest; an existing
 * release with that id is reused) and renames a fresh symlink over `current` (atomic: `current`
 * is always a valid link). Release directories are never changed once made.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, mkdtemp, open, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { CorticalError } from '../../core/errors.js';
import type { BlueTarget } from './blue-target.js';
import { commitGreen, mustGit } from './git-branch-target.js';
import { digestTree } from './tree-digest.js';

const RELEASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A promotion lock older than this is left over from a crash and is taken over. */
const STALE_LOCK_MS = 60_000;

export class ReleaseDirTarget implements BlueTarget {
  readonly kind = 'release-dir' as const;
  readonly description: string;
  private readonly root: string;
  private readonly releases: string;
  private readonly current: string;

  constructor(spec: { root: string }) {
    this.root = resolve(spec.root);
    this.releases = join(this.root, 'releases');
    this.current = join(this.root, 'current');
    this.description = `release directory ${this.root}`;
  }

  async golden(): Promise<string> {
    let target: string;
    try {
      target = await readlink(this.current);
    } catch {
      throw new CorticalError('NOT_FOUND', `${this.description}: ${this.current} is not a symlink`);
    }
    const full = isAbsolute(target) ? target : resolve(this.root, target);
    const id = basename(full);
    if (dirname(full) !== this.releases || !RELEASE_ID.test(id)) {
      throw new CorticalError('CONFLICT', `${this.description}: current points at ${target}, not at a release under releases/`);
    }
    return id;
  }

  private async releaseExists(id: string): Promise<boolean> {
    if (!RELEASE_ID.test(id)) return false;
    try {
      return (await lstat(join(this.releases, id))).isDirectory();
    } catch {
      return false;
    }
  }

  async checkoutGreen(golden: string, dir: string): Promise<void> {
    if (!(await this.releaseExists(golden))) throw new CorticalError('NOT_FOUND', `${this.description}: no release "${golden}"`);
    const exists = await stat(dir).then(() => true, () => false);
    if (exists) throw new CorticalError('CONFLICT', `${dir} already exists: Green needs a directory that does not exist yet`);
    await mkdir(dir, { recursive: true });
    await cp(join(this.releases, golden), dir, { recursive: true, verbatimSymlinks: true, filter: (src) => basename(src) !== '.git' });
    await mustGit(['init', '-q', '-b', 'green'], { cwd: dir });
    await commitGreen(dir, `release ${golden}`);
  }

  async promote(input: { golden: string; greenDir: string }): Promise<string> {
    const before = await this.golden();
    if (before !== input.golden) throw conflict(this.description, input.golden, before);
    const id = await this.exportRelease(resolve(input.greenDir));
    await this.withLock(async () => {
      const blue = await this.golden();
      if (blue !== input.golden) throw conflict(this.description, input.golden, blue);
      await this.flip(id);
    });
    return id;
  }

  async rollbackTo(version: string): Promise<void> {
    if (!(await this.releaseExists(version))) throw new CorticalError('NOT_FOUND', `${this.description}: no release "${version}"`);
    await this.withLock(() => this.flip(version));
  }

  /** sha256 over `current`'s link text, the current release's files and the list of releases. */
  async digest(): Promise<string> {
    const link = await readlink(this.current).catch(() => '');
    const files = link === '' ? null : await digestTree(resolve(this.root, link)).catch(() => null);
    const names = (await readdir(this.releases).catch(() => [] as string[])).filter((n) => !n.startsWith('.')).sort();
    return createHash('sha256')
      .update(`current ${JSON.stringify(link)}\n`)
      .update(`tree ${files?.digest ?? 'none'}\n`)
      .update(`releases ${JSON.stringify(names)}\n`)
      .digest('hex');
  }

  /** Writes Green's HEAD tree (committed files only) into a content-addressed release. */
  private async exportRelease(greenDir: string): Promise<string> {
    await mkdir(this.releases, { recursive: true });
    const staging = await mkdtemp(join(this.root, '.staging-'));
    try {
      const files = join(staging, 'files');
      await mkdir(files);
      const env = { GIT_INDEX_FILE: join(staging, 'index') };
      await mustGit(['read-tree', 'HEAD'], { cwd: greenDir, env });
      await mustGit(['checkout-index', '-a', '-f', `--prefix=${files}/`], { cwd: greenDir, env });
      const id = (await digestTree(files)).digest.slice(0, 32);
      if (!(await this.releaseExists(id))) {
        try {
          await rename(files, join(this.releases, id));
        } catch (e) {
          // Another promotion of the same content made it first: reuse it.
          if (!(await this.releaseExists(id))) throw e;
        }
      }
      return id;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** A fresh symlink renamed over `current`: readers see the old or the new link, never none. */
  private async flip(id: string): Promise<void> {
    const tmp = join(this.root, `.current-${randomBytes(6).toString('hex')}`);
    await symlink(`releases/${id}`, tmp);
    try {
      await rename(tmp, this.current);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  /** Serializes promotions and rollbacks of this root (an exclusive lock file). */
  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = join(this.root, '.promote.lock');
    let handle;
    try {
      handle = await open(lock, 'wx');
    } catch {
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age < STALE_LOCK_MS) throw new CorticalError('CONFLICT', `${this.description}: another promotion or rollback holds ${lock}`, {}, true);
      await rm(lock, { force: true });
      handle = await open(lock, 'wx');
    }
    try {
      await handle.writeFile(`${process.pid}\n`);
      return await fn();
    } finally {
      await handle.close();
      await rm(lock, { force: true });
    }
  }
}

function conflict(what: string, golden: string, blue: string): CorticalError {
  return new CorticalError('CONFLICT', `${what} moved since the pipeline started (golden ${golden}, now ${blue}): not promoted`, { golden, blue });
}
