/**
 * Blue: the live line. A git branch (`git-branch`) or a release directory with a `current`
 * symlink (`release-dir`). Agents never write it; the pipeline reads its version (the golden
 * base), builds Green from it elsewhere, and changes it only by an atomic compare-and-swap
 * promotion or a rollback.
 */
import { z } from 'zod';
import { CorticalError } from '../../core/errors.js';
import { GitBranchTarget } from './git-branch-target.js';
import { ReleaseDirTarget } from './release-dir-target.js';

export { commitGreen } from './git-branch-target.js';

export interface BlueTarget {
  readonly kind: 'git-branch' | 'release-dir';
  readonly description: string;
  /** Blue's current version id: the branch's commit sha, or the release id `current` points at. */
  golden(): Promise<string>;
  /** Make `dir` (must not exist yet) a git repository whose HEAD commit has exactly the golden version's files (on a local branch `green`). */
  checkoutGreen(golden: string, dir: string): Promise<void>;
  /** Atomically make Green's HEAD commit live, only if Blue still is `golden` (else CorticalError CONFLICT, Blue untouched). Returns the new version id. */
  promote(input: { golden: string; greenDir: string }): Promise<string>;
  /** Atomically point Blue back at an earlier version id; CorticalError NOT_FOUND for an unknown version. */
  rollbackTo(version: string): Promise<void>;
  /** sha256 over Blue's observable bytes (see each target); equal while nothing changes. */
  digest(): Promise<string>;
}

export type BlueTargetSpec = { kind: 'git-branch'; repo: string; branch: string } | { kind: 'release-dir'; root: string };

const specSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('git-branch'), repo: z.string().min(1), branch: z.string().min(1).regex(/^[^-]/, 'must not start with "-"') }).strict(),
  z.object({ kind: z.literal('release-dir'), root: z.string().min(1) }).strict(),
]);

/** Validates `spec` (CorticalError VALIDATION_FAILED) and makes its target. */
export function createBlueTarget(spec: BlueTargetSpec): BlueTarget {
  const parsed = specSchema.safeParse(spec);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ');
    throw new CorticalError('VALIDATION_FAILED', `invalid Blue target (${what}); accepted: {kind:'git-branch', repo, branch} or {kind:'release-dir', root}`);
  }
  const s = parsed.data;
  if (s.kind === 'git-branch') {
    if (/\.\.|[\s~^:?*[\\]|@\{|\/\/|\.lock$|^\/|\/$|\.$/.test(s.branch)) {
      throw new CorticalError('VALIDATION_FAILED', `"${s.branch}" is not a valid git branch name`);
    }
    return new GitBranchTarget(s);
  }
  return new ReleaseDirTarget(s);
}
