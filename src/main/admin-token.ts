/**
 * The initial admin token, created on the first start and written to `<data dir>/admin.token`.
 *
 * With a store several HQ replicas share (PostgreSQL), replicas starting together for the first
 * time must not each create one. They race for a claim stored with `ensureSecret` (the first
 * insert wins, everybody reads the winner's value); only the winner creates the token and writes
 * it to its own data directory. The others wait for it and log which replica has the file. A claim
 * whose holder died before creating the token goes stale after `staleAfterMs`; the next claim
 * (`…:2`, `…:3`, …) is then raced for.
 */
import { chmod, access, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Logger } from '../core/ports/logger.js';
import type { Store } from '../core/ports/store.js';

export const ADMIN_TOKEN_CLAIM = 'initial-admin-token-claim';
const MAX_CLAIMS = 20;

export interface AdminTokenDeps {
  readonly store: Pick<Store, 'hasAdminToken' | 'ensureSecret'>;
  /** Creates the token when none exists; returns its plaintext or null. */
  readonly createAdminToken: () => Promise<string | null>;
  readonly nowMs: () => number;
  readonly logger: Logger;
  /** Where this replica writes the token it creates. */
  readonly tokenFile: string;
  /** Whether other HQ processes share the store. */
  readonly shared: boolean;
  readonly staleAfterMs?: number;
  readonly pollMs?: number;
}

interface Claim {
  readonly host: string;
  readonly pid: number;
  readonly tokenFile: string;
  readonly at: number;
}

/** Returns the plaintext when this process created the admin token, else null. */
export async function ensureInitialAdminToken(deps: AdminTokenDeps): Promise<string | null> {
  if (!deps.shared) {
    const created = await deps.createAdminToken();
    if (created !== null) await writeTokenFile(deps.tokenFile, created);
    else if (!(await exists(deps.tokenFile))) deps.logger.warn({ tokenFile: deps.tokenFile }, 'admin token file is missing; use an existing admin token');
    return created;
  }
  if (await deps.store.hasAdminToken()) {
    if (!(await exists(deps.tokenFile))) {
      deps.logger.info(
        { tokenFile: deps.tokenFile },
        'the admin token exists; its file is on the replica that created it (admin.token in its data directory). ' +
          'To make another: cortical token create --role admin, with an existing admin token',
      );
    }
    return null;
  }
  const staleAfterMs = deps.staleAfterMs ?? 60_000;
  const pollMs = deps.pollMs ?? 250;
  for (let n = 1; n <= MAX_CLAIMS; n++) {
    const mine: Claim = { host: hostname(), pid: process.pid, tokenFile: deps.tokenFile, at: deps.nowMs() };
    const candidate = JSON.stringify(mine);
    const stored = await deps.store.ensureSecret({ name: n === 1 ? ADMIN_TOKEN_CLAIM : `${ADMIN_TOKEN_CLAIM}:${n}`, candidate, nowMs: mine.at });
    if (stored === candidate) {
      const created = await deps.createAdminToken();
      if (created !== null) await writeTokenFile(deps.tokenFile, created);
      return created;
    }
    const winner = parseClaim(stored);
    while (!(await deps.store.hasAdminToken())) {
      if (winner === null || deps.nowMs() - winner.at > staleAfterMs) break;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    if (await deps.store.hasAdminToken()) {
      deps.logger.warn(
        { createdBy: winner === null ? 'unknown' : `${winner.host} pid ${winner.pid}`, tokenFile: winner?.tokenFile ?? 'unknown' },
        'another HQ replica created the initial admin token and wrote it to its data directory; ' +
          'read it there, or make another with `cortical token create --role admin` and an existing admin token',
      );
      return null;
    }
    deps.logger.warn({ claim: n, claimedBy: winner === null ? 'unknown' : `${winner.host} pid ${winner.pid}` }, 'the replica that claimed the initial admin token did not create it; claiming again');
  }
  throw new Error(`no HQ replica managed to create the initial admin token after ${MAX_CLAIMS} claims`);
}

function parseClaim(text: string): Claim | null {
  try {
    const v = JSON.parse(text) as Partial<Claim>;
    if (typeof v.host === 'string' && typeof v.pid === 'number' && typeof v.tokenFile === 'string' && typeof v.at === 'number') return v as Claim;
  } catch {
    // not ours: treated as stale
  }
  return null;
}

async function writeTokenFile(path: string, token: string): Promise<void> {
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
