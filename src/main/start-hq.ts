/** Composition root of HQ: SQLite store, memory bus, services, REST API on an HTTP server. */
import { ProcessGitHost } from '../adapters/git-host/process/process-git-host.js';
import { mkdir, writeFile, chmod, access } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { MemoryBus } from '../adapters/bus/memory/memory-bus.js';
import { SystemClock } from '../adapters/clock/system/system-clock.js';
import { RandomIds } from '../adapters/ids/random/random-ids.js';
import { SqliteStore } from '../adapters/store/sqlite/sqlite-store.js';
import type { Logger } from '../core/ports/logger.js';
import { createApiApp } from '../interfaces/api/create-api-app.js';
import { Hq } from '../services/hq/hq.js';
import type { HqConfig } from '../services/hq/hq-config.js';
import type { EnvConfig } from './config.js';
import { VERSION } from './config.js';
import { endpointsFromEnv } from '../core/model-endpoints.js';
import { OpenAiCompatiblePlanner } from '../adapters/planner/llm/llm-planner.js';
import { DEFAULT_PLANNER_CONFIG } from '../services/hq/planner-config.js';

export interface RunningHq {
  readonly hq: Hq;
  /** Base URL clients use, with the real port. */
  readonly url: string;
  readonly tokenFile: string;
  /** The admin token's plaintext when it was created by this start (first start), else null. */
  readonly createdAdminToken: string | null;
  /** Stops the loops, closes the server and the store. */
  close(): Promise<void>;
}

export const ADMIN_TOKEN_FILE = 'admin.token';
/** The dashboard's build output in this installation (`npm run build:web`). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));
export const DATABASE_FILE = 'cortical.db';

export function hqConfigFromEnv(env: EnvConfig): Partial<HqConfig> {
  return {
    version: VERSION,
    leaseTtlMs: env.CORTICAL_LEASE_TTL_MS,
    heartbeatIntervalMs: env.CORTICAL_HEARTBEAT_INTERVAL_MS,
    nodeLostAfterMs: env.CORTICAL_NODE_LOST_AFTER_MS,
    nodeAccessTtlMs: env.CORTICAL_NODE_ACCESS_TTL_MS,
    schedulerIntervalMs: env.CORTICAL_SCHEDULER_INTERVAL_MS,
    reaperIntervalMs: env.CORTICAL_REAPER_INTERVAL_MS,
  };
}

export async function startHq(opts: {
  dataDir: string;
  host: string;
  port: number;
  env: EnvConfig;
  logger: Logger;
  /** Raw environment for the request planner's CORTICAL_LLM_* settings; default process.env. */
  llmEnv?: Readonly<Record<string, string | undefined>>;
  /** The built dashboard served at `/`; default: this installation's `web/dist`. */
  webRoot?: string;
}): Promise<RunningHq> {
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const store = await SqliteStore.create(join(opts.dataDir, DATABASE_FILE));
  const clock = new SystemClock();
  const bus = new MemoryBus(opts.logger);
  const hq = new Hq({
    store,
    bus,
    clock,
    ids: new RandomIds(() => clock.nowMs()),
    logger: opts.logger,
    config: hqConfigFromEnv(opts.env),
    llmPlanner: llmPlannerFromEnv(opts.llmEnv ?? process.env, opts.logger),
  });

  const tokenFile = join(opts.dataDir, ADMIN_TOKEN_FILE);
  const createdAdminToken = await hq.auth.ensureAdminToken();
  if (createdAdminToken !== null) {
    await writeFile(tokenFile, `${createdAdminToken}\n`, { mode: 0o600 });
    await chmod(tokenFile, 0o600);
  } else if (!(await exists(tokenFile))) {
    opts.logger.warn({ tokenFile }, 'admin token file is missing; use an existing admin token');
  }

  const app = createApiApp(hq, { gitHost: new ProcessGitHost(), webRoot: opts.webRoot ?? DEFAULT_WEB_ROOT });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, () => resolve(s as Server));
    (s as Server).once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  const url = `http://${hostForUrl.includes(':') ? `[${hostForUrl}]` : hostForUrl}:${address.port}`;

  const loops = new AbortController();
  const running = hq.start(loops.signal).catch((e: unknown) => {
    opts.logger.error({ err: e }, 'HQ loops failed');
  });

  let closed = false;
  return {
    hq,
    url,
    tokenFile,
    createdAdminToken,
    async close() {
      if (closed) return;
      closed = true;
      loops.abort();
      await running;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await bus.close();
      await store.close();
    },
  };
}

/**
 * The request planner's language model: the OpenAI-compatible endpoint of CORTICAL_LLM_BASE_URL /
 * CORTICAL_LLM_API_KEY / CORTICAL_LLM_MODEL; none (rules only) without a base URL and a model, or
 * with CORTICAL_PLANNER=rules.
 */
export function llmPlannerFromEnv(env: Readonly<Record<string, string | undefined>>, logger: Logger): OpenAiCompatiblePlanner | null {
  const endpoint = endpointsFromEnv(env).openaiCompatible;
  if (endpoint === null || env.CORTICAL_PLANNER?.trim() === 'rules') return null;
  if (endpoint.defaultModel === null) {
    logger.warn({ baseUrl: endpoint.baseUrl }, 'request planner: CORTICAL_LLM_BASE_URL is set but CORTICAL_LLM_MODEL is not; planning with rules only');
    return null;
  }
  logger.info({ baseUrl: endpoint.baseUrl, model: endpoint.defaultModel, key: endpoint.apiKey === 'none' ? 'none' : 'set' }, 'request planner: LLM mode');
  return new OpenAiCompatiblePlanner({ endpoint, timeoutMs: DEFAULT_PLANNER_CONFIG.llmTimeoutMs });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
