/**
 * The built-in agent's file tools (read, write, edit, list, search). Paths arrive absolute and
 * already checked by the tool runner; each tool returns its output for the model and the
 * workspace files it changed.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FileChangeKind } from '../../../core/ports/agent-driver.js';

export interface ToolOutcome {
  readonly ok: boolean;
  readonly output: string;
  /** Absolute paths of files changed. */
  readonly changes: readonly { readonly path: string; readonly change: FileChangeKind }[];
}

export const fail = (output: string): ToolOutcome => ({ ok: false, output, changes: [] });
const ok = (output: string, changes: ToolOutcome['changes'] = []): ToolOutcome => ({ ok: true, output, changes });

const SKIP_DIRS = new Set(['.git', 'node_modules']);
const MAX_LIST = 1000;
const MAX_MATCHES = 200;
const MAX_SEARCH_FILE_BYTES = 2_000_000;

function text(args: Readonly<Record<string, unknown>>, key: string): string | null {
  return typeof args[key] === 'string' ? args[key] : null;
}

function int(args: Readonly<Record<string, unknown>>, key: string, fallback: number): number {
  const v = args[key];
  return typeof v === 'number' && Number.isFinite(v) && v >= 1 ? Math.floor(v) : fallback;
}

export async function readFileTool(abs: string, args: Readonly<Record<string, unknown>>): Promise<ToolOutcome> {
  const st = await stat(abs).catch(() => null);
  if (st === null) return fail(`no such file: ${abs}`);
  if (st.isDirectory()) return fail(`${abs} is a directory (use list_files)`);
  const content = await readFile(abs, 'utf8');
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const offset = int(args, 'offset', 1);
  const limit = int(args, 'limit', 2000);
  const slice = lines.slice(offset - 1, offset - 1 + limit);
  const numbered = slice.map((l, i) => `${String(offset + i).padStart(6)}\t${l}`).join('\n');
  const rest = lines.length - (offset - 1 + slice.length);
  return ok(lines.length === 0 ? '(empty file)' : `${numbered}${rest > 0 ? `\n… ${rest} more lines (use offset)` : ''}`);
}

export async function writeFileTool(abs: string, args: Readonly<Record<string, unknown>>): Promise<ToolOutcome> {
  const content = text(args, 'content');
  if (content === null) return fail('write_file needs content (a string)');
  const existed = existsSync(abs);
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, content, 'utf8');
  return ok(`wrote ${Buffer.byteLength(content)} bytes to ${abs}`, [{ path: abs, change: existed ? 'modified' : 'created' }]);
}

export async function editFileTool(abs: string, args: Readonly<Record<string, unknown>>): Promise<ToolOutcome> {
  const oldText = text(args, 'old_text');
  const newText = text(args, 'new_text');
  if (oldText === null || newText === null || oldText === '') return fail('edit_file needs old_text (non-empty) and new_text');
  const content = await readFile(abs, 'utf8').catch(() => null);
  if (content === null) return fail(`no such file: ${abs}`);
  const count = content.split(oldText).length - 1;
  if (count === 0) return fail(`old_text not found in ${abs}`);
  if (count > 1 && args.replace_all !== true) return fail(`old_text occurs ${count} times in ${abs}: give more context or set replace_all`);
  const updated = args.replace_all === true ? content.split(oldText).join(newText) : content.replace(oldText, () => newText);
  await writeFile(abs, updated, 'utf8');
  return ok(`replaced ${args.replace_all === true ? count : 1} occurrence(s) in ${abs}`, [{ path: abs, change: 'modified' }]);
}

/** Files under `root` (relative paths), depth-first, sorted, skipping .git and node_modules; directories end with `/`. */
async function walk(root: string, recursive: boolean, max: number): Promise<{ entries: string[]; truncated: boolean }> {
  const entries: string[] = [];
  const visit = async (dir: string, rel: string): Promise<boolean> => {
    const items = (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => a.name.localeCompare(b.name));
    for (const item of items) {
      if (entries.length >= max) return false;
      const childRel = rel === '' ? item.name : `${rel}/${item.name}`;
      if (item.isDirectory()) {
        entries.push(`${childRel}/`);
        if (recursive && !SKIP_DIRS.has(item.name) && !(await visit(join(dir, item.name), childRel))) return false;
      } else {
        entries.push(childRel);
      }
    }
    return true;
  };
  const complete = await visit(root, '');
  return { entries, truncated: !complete };
}

export async function listFilesTool(abs: string, args: Readonly<Record<string, unknown>>): Promise<ToolOutcome> {
  const st = await stat(abs).catch(() => null);
  if (st === null || !st.isDirectory()) return fail(`not a directory: ${abs}`);
  const { entries, truncated } = await walk(abs, args.recursive === true, MAX_LIST);
  if (entries.length === 0) return ok('(empty directory)');
  return ok(`${entries.join('\n')}${truncated ? `\n… listing cut at ${MAX_LIST} entries` : ''}`);
}

export async function searchTool(abs: string, args: Readonly<Record<string, unknown>>): Promise<ToolOutcome> {
  const pattern = text(args, 'pattern');
  if (pattern === null || pattern === '') return fail('search needs a pattern');
  let re: RegExp;
  try {
    const source = args.literal === true ? pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : pattern;
    re = new RegExp(source, args.ignore_case === true ? 'i' : '');
  } catch (e) {
    return fail(`invalid regular expression: ${e instanceof Error ? e.message : String(e)}`);
  }
  const st = await stat(abs).catch(() => null);
  if (st === null) return fail(`no such file or directory: ${abs}`);
  const files = st.isDirectory() ? (await walk(abs, true, 20_000)).entries.filter((e) => !e.endsWith('/')).map((rel) => ({ rel, full: join(abs, rel) })) : [{ rel: abs, full: abs }];
  const matches: string[] = [];
  for (const f of files) {
    const fst = await stat(f.full).catch(() => null);
    if (fst === null || !fst.isFile() || fst.size > MAX_SEARCH_FILE_BYTES) continue;
    const content = await readFile(f.full, 'utf8').catch(() => '');
    if (content.includes('\0')) continue;
    const lines = content.split('\n');
    for (let i = 0; i < lines.length && matches.length < MAX_MATCHES; i++) {
      if (re.test(lines[i]!)) matches.push(`${f.rel}:${i + 1}: ${lines[i]!.slice(0, 300)}`);
    }
    if (matches.length >= MAX_MATCHES) break;
  }
  if (matches.length === 0) return ok('no matches');
  return ok(`${matches.join('\n')}${matches.length >= MAX_MATCHES ? `\n… cut at ${MAX_MATCHES} matches` : ''}`);
}
