import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STACK_DIR } from './fingerprint.js';

/** `.cstack/FINISHED`: written when an attempt ends with a final outcome; tells GC the task is done. */
export const FINISHED_MARKER = 'FINISHED';

const markerPath = (workspacePath: string): string => join(workspacePath, STACK_DIR, FINISHED_MARKER);

/** Writes the marker: an ISO time on the first line, then the outcome (if given). */
export async function markWorkspaceFinished(workspacePath: string, atMs: number, outcome?: string): Promise<void> {
  await mkdir(join(workspacePath, STACK_DIR), { recursive: true });
  const body = `${new Date(atMs).toISOString()}\n${outcome === undefined ? '' : `${outcome}\n`}`;
  await writeFile(markerPath(workspacePath), body);
}

/** Removes the marker (a new attempt starts in the workspace). */
export async function clearWorkspaceFinished(workspacePath: string): Promise<void> {
  await rm(markerPath(workspacePath), { force: true });
}

/** The marker's time (its first line, else its mtime), or null when there is no marker. */
export async function readFinishedMarker(workspacePath: string): Promise<number | null> {
  const path = markerPath(workspacePath);
  const st = await lstat(path).catch(() => null);
  if (st === null || !st.isFile()) return null;
  const first = (await readFile(path, 'utf8').catch(() => '')).split('\n', 1)[0] ?? '';
  const parsed = Date.parse(first.trim());
  return Number.isFinite(parsed) ? parsed : st.mtimeMs;
}
