/** Helpers for tests that work on real temporary git repositories (used by *.test.ts only). */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export const TEST_GIT_ENV = {
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};

/** Runs git synchronously in `cwd` and returns its trimmed stdout (throws on failure). */
export function gitSync(cwd: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, ...TEST_GIT_ENV };
  delete env['GIT_DIR'];
  delete env['GIT_WORK_TREE'];
  delete env['GIT_INDEX_FILE'];
  return execFileSync('git', args, { cwd, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 }).trim();
}

/**
 * A digest of a directory's files (paths, kinds, exec bits, contents, link targets), leaving out
 * the names in `skip` at the top level. Empty directories are left out, as git does.
 */
export function hashTree(dir: string, skip: readonly string[] = ['.git', '.cstack']): string {
  const h = createHash('sha256');
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (rel === '' && skip.includes(name)) continue;
      const full = join(dir, path);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(path);
      else if (st.isSymbolicLink()) h.update(`L ${path} ${readlinkSync(full)}\n`);
      else h.update(`F ${path} ${st.mode & 0o111 ? 'x' : '-'} ${createHash('sha256').update(readFileSync(full)).digest('hex')}\n`);
    }
  };
  walk('');
  return h.digest('hex');
}
