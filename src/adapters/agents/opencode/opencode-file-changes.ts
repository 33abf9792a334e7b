/**
 * The workspace files an OpenCode tool call changed, from the finished call's input and
 * metadata: `write` (`metadata.exists` tells created from modified), `edit` / `multiedit`
 * (modified), `apply_patch` / `patch` (`metadata.files`: `add`, `update`, `delete`, `move` with
 * `movePath`). Paths outside the workspace are left out.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { FileChangeKind } from '../../../core/ports/agent-driver.js';
import type { ToolState } from './opencode-stream-schema.js';

export interface FileChange {
  readonly path: string;
  readonly change: FileChangeKind;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** `path` relative to the workspace, or null when it lies outside it. */
export function workspaceRelative(workspacePath: string, path: string): string | null {
  const abs = isAbsolute(path) ? path : resolve(workspacePath, path);
  const rel = relative(workspacePath, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return rel.split('\\').join('/');
}

function patchChanges(files: unknown): { path: string; change: FileChangeKind }[] {
  if (!Array.isArray(files)) return [];
  return files.flatMap((f: unknown): { path: string; change: FileChangeKind }[] => {
    if (typeof f !== 'object' || f === null) return [];
    const { filePath, movePath, type } = f as { filePath?: unknown; movePath?: unknown; type?: unknown };
    const from = str(filePath);
    if (from === null) return [];
    if (type === 'add') return [{ path: from, change: 'created' }];
    if (type === 'delete') return [{ path: from, change: 'deleted' }];
    const to = str(movePath);
    if (type === 'move' && to !== null) return [{ path: from, change: 'deleted' }, { path: to, change: 'created' }];
    return [{ path: from, change: 'modified' }];
  });
}

export function opencodeFileChanges(workspacePath: string, tool: string, state: ToolState): FileChange[] {
  if (state.status !== 'completed') return [];
  const meta = state.metadata ?? {};
  const inputPath = str(state.input?.filePath) ?? str(state.input?.file_path) ?? str(state.input?.path);
  let raw: { path: string; change: FileChangeKind }[];
  switch (tool) {
    case 'write': {
      const path = str(meta.filepath) ?? inputPath;
      raw = path === null ? [] : [{ path, change: meta.exists === true ? 'modified' : 'created' }];
      break;
    }
    case 'edit':
    case 'multiedit': {
      const diff = meta.filediff;
      const path = str(meta.filepath) ?? (typeof diff === 'object' && diff !== null ? str((diff as { file?: unknown }).file) : null) ?? inputPath;
      raw = path === null ? [] : [{ path, change: 'modified' }];
      break;
    }
    case 'apply_patch':
    case 'patch':
      raw = patchChanges(meta.files);
      break;
    default:
      raw = [];
  }
  return raw.flatMap((c) => {
    const path = workspaceRelative(workspacePath, c.path);
    return path === null ? [] : [{ path, change: c.change }];
  });
}
