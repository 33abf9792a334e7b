import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IdGenerator } from '../core/ids.js';
import type { Logger } from '../core/ports/logger.js';
import type { Store } from '../core/ports/store.js';
import { newReplicaId } from '../services/hq/scheduler-leadership.js';

/** The file in HQ's data directory that names the replica's last incarnation. */
export const REPLICA_ID_FILE = 'replica.id';

/**
 * A new id for this start of the replica, written to `replica.id` in its data directory. When
 * the previous start (same data directory) died holding the scheduler role, the role is given
 * up on its behalf, so scheduling resumes at once instead of after the role's expiry. (Two
 * processes sharing a data directory would each free the other's role: harmless, the election
 * settles again within one check.)
 */
export async function takeReplicaId(input: { dataDir: string; store: Store; ids: IdGenerator; nowMs: number; logger: Logger }): Promise<string> {
  const file = join(input.dataDir, REPLICA_ID_FILE);
  const previous = (await readFile(file, 'utf8').catch(() => '')).trim();
  const id = newReplicaId(input.ids);
  await writeFile(file, `${id}\n`, { mode: 0o600 });
  if (previous !== '') {
    try {
      await input.store.releaseLeadership({ role: 'scheduler', holder: previous, nowMs: input.nowMs });
    } catch (e) {
      input.logger.warn({ err: (e as Error).message, previous }, 'could not free the scheduler role of the previous start; it expires by itself');
    }
  }
  return id;
}
