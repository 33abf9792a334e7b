/**
 * A deterministic digest of a directory's files: paths sorted (by UTF-16 code units of the
 * posix relative path), each file's kind, executable bit and sha256 (streamed, so memory stays
 * bounded whatever the file sizes), symlinks recorded by their link text (never followed).
 * Empty directories are left out, as git does.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeFile {
  /** Posix path relative to the digested directory. */
  readonly path: string;
  /** sha256 (hex) of the content, or of the link text for a symlink. */
  readonly sha256: string;
  /** Size in bytes of the content (or of the link text). */
  readonly bytes: number;
}

export interface TreeDigest {
  readonly digest: string;
  readonly files: TreeFile[];
}

export interface DigestTreeOptions {
  /** Relative posix paths left out with everything under them (e.g. `.git`). */
  readonly exclude?: readonly string[];
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

function excluded(rel: string, exclude: readonly string[]): boolean {
  return exclude.some((e) => rel === e || rel.startsWith(`${e}/`));
}

/** Digests the files under `dir` (see the file comment). */
export async function digestTree(dir: string, options: DigestTreeOptions = {}): Promise<TreeDigest> {
  const exclude = (options.exclude ?? []).map((e) => e.replace(/^\.\/+/, '').replace(/\/+$/, ''));
  const entries: { path: string; line: string; file: TreeFile }[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = await readdir(rel === '' ? dir : join(dir, rel));
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (excluded(path, exclude)) continue;
      const full = join(dir, path);
      const st = await lstat(full);
      if (st.isDirectory()) {
        await walk(path);
      } else if (st.isSymbolicLink()) {
        const text = await readlink(full, { encoding: 'buffer' });
        const sha = createHash('sha256').update(text).digest('hex');
        entries.push({ path, line: `L ${JSON.stringify(path)} ${sha}`, file: { path, sha256: sha, bytes: text.length } });
      } else if (st.isFile()) {
        const sha = await sha256File(full);
        const mode = (st.mode & 0o111) !== 0 ? 'x' : '-';
        entries.push({ path, line: `F ${JSON.stringify(path)} ${mode} ${sha}`, file: { path, sha256: sha, bytes: st.size } });
      } else {
        // Sockets, fifos, devices: recorded by kind only (their "content" is not a file's).
        entries.push({ path, line: `S ${JSON.stringify(path)}`, file: { path, sha256: '', bytes: 0 } });
      }
    }
  };
  await walk('');
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const h = createHash('sha256');
  for (const e of entries) h.update(`${e.line}\n`);
  return { digest: h.digest('hex'), files: entries.map((e) => e.file) };
}
