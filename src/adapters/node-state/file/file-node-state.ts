import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CorticalError } from '../../../core/errors.js';
import type { NodeIdentity } from '../../../core/ports/hq-link.js';
import type { NodeStateStore } from '../../../core/ports/node-state.js';

/** The node's identity in `<workDir>/node.json`, readable by its owner only (mode 0600). */
export class FileNodeState implements NodeStateStore {
  readonly path: string;

  constructor(workDir: string) {
    this.path = join(workDir, 'node.json');
  }

  async load(): Promise<NodeIdentity | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const v = JSON.parse(text) as Partial<NodeIdentity>;
    if (
      typeof v.nodeId !== 'string' ||
      typeof v.accessToken !== 'string' ||
      typeof v.accessExpiresAt !== 'number' ||
      typeof v.refreshToken !== 'string' ||
      typeof v.leaseTtlMs !== 'number' ||
      typeof v.heartbeatIntervalMs !== 'number'
    ) {
      throw new CorticalError('VALIDATION_FAILED', `${this.path} is not a node identity file`);
    }
    return v as NodeIdentity;
  }

  async save(identity: NodeIdentity): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(identity, null, 2) + '\n', { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.path);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
