/**
 * Composition root of HQ: the store and bus its settings name (single preset: SQLite + memory bus;
 * cluster: PostgreSQL + NATS with the event relay), services, REST API on an HTTP server.
 */
import { ProcessGitHost } from '../adapters/git-host/process/process-git-host.js';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { SystemClock } from '../adapters/clock/system/system-clock.js';
import { RandomIds } from '../adapters/ids/random/random-ids.js';
import type { Logger } from '../core/ports/logger.js';
import { createApiApp } from '../interfaces/api/create-api-app.js';
import { EventRelay } from '../services/hq/event-relay.js';
import { Hq } from '../services/hq/hq.js';
import type { HqConfig } from '../services/hq/hq-config.js';
import type { EnvConfig } from './config.js';
import { VERSION } from './config.js';
import { endpointsFromEnv } from '../core/model-endpoints.js';
import { OpenAiCompatiblePlanner } from '../adapters/planner/llm/llm-planner.js';
import { DEFAULT_PLANNER_CONFIG } from '../services/hq/planner-config.js';
import { ensureInitialAdminToken } from './admin-token.js';
import { takeReplicaId } from './replica-id.js';
import { createBus } from './bus-factory.js';
import { describeHqSettings, SQLITE_FILE_NAME, type HqSettings } from './hq-settings.js';
import { createStore } from './store-factory.js';
import { pipelineSetup } from './pipeline-setup.js';
import { startBridgeServer } from '../interfaces/bridge/bridge-server.js';
import { bridgeTlsFromEnv, labelBinding, watchClientCrl } from './bridge-tls.js';
import { InFlightRequests, stopServerGracefully } from './in-flight-requests.js';

/** How long a stopping HQ waits for running API handlers before it closes their connections. */
const HANDLER_DRAIN_MS = 5_000;

export interface RunningHq {
  readonly hq: Hq;
  /** Base URL clients use, with the real port. */
  readonly url: string;
  readonly tokenFile: string;
  /** The admin token's plaintext when it was created by this start (first start), else null. */
  readonly createdAdminToken: string | null;
  /** The gRPC Bridge's URL (`http://host:port`, or `https://` with TLS; HTTP/2), or null when it is not served. */
  readonly bridgeUrl: string | null;
  /** Stops the loops, closes the server and the store. */
  close(): Promise<void>;
}

export const ADMIN_TOKEN_FILE = 'admin.token';
/** The dashboard's build output in this installation (`npm run build:web`). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));
export const DATABASE_FILE = SQLITE_FILE_NAME;

export function hqConfigFromEnv(env: EnvConfig): Partial<HqConfig> {
  return {
    version: VERSION,
    leaseTtlMs: env.CORTICAL_LEASE_TTL_MS,
    heartbeatIntervalMs: env.CORTICAL_HEARTBEAT_INTERVAL_MS,
    nodeLostAfterMs: env.CORTICAL_NODE_LOST_AFTER_MS,
    nodeAccessTtlMs: env.CORTICAL_NODE_ACCESS_TTL_MS,
    schedulerIntervalMs: env.CORTICAL_SCHEDULER_INTERVAL_MS,
    reaperIntervalMs: env.CORTICAL_REAPER_INTERVAL_MS,
    pipelineProjects: pipelineProjectsOf(env.CORTICAL_PIPELINE_PROJECTS),
  };
}

/** `web=main, api=release` → { web: 'main', api: 'release' } (validated by the env schema). */
export function pipelineProjectsOf(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const [project, branch] = pair.split('=').map((x) => x.trim());
    if (project && branch) out[project] = branch;
  }
  return out;
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
  /** Store and bus (see hq-settings.ts); default: the single preset in `dataDir`. */
  settings?: HqSettings;
}): Promise<RunningHq> {
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const settings: HqSettings = opts.settings ?? {
    preset: 'single',
    store: { kind: 'sqlite', path: join(opts.dataDir, DATABASE_FILE) },
    bus: { kind: 'memory' },
    sources: { preset: 'preset', store: 'preset', bus: 'preset' },
    configFile: null,
  };
  opts.logger.info(describeHqSettings(settings), 'HQ backend');
  const built = await createStore(settings.store, opts.logger);
  const store = built.store;
  let busBuilt;
  try {
    busBuilt = await createBus(settings.bus, opts.logger);
  } catch (e) {
    await store.close();
    throw e;
  }
  const { bus, sink } = busBuilt;
  const clock = new SystemClock();
  const ids = new RandomIds(() => clock.nowMs());
  let pipeline;
  try {
    pipeline = await pipelineSetup({ dataDir: opts.dataDir, logger: opts.logger, target: opts.env.CORTICAL_PIPELINE_TARGET, policyFile: opts.env.CORTICAL_POLICY_FILE });
  } catch (e) {
    await bus.close();
    await store.close();
    throw e;
  }
  const replicaId = await takeReplicaId({ dataDir: opts.dataDir, store, ids, nowMs: clock.nowMs(), logger: opts.logger });
  const hq = new Hq({
    store,
    bus,
    clock,
    ids,
    logger: opts.logger,
    config: hqConfigFromEnv(opts.env),
    llmPlanner: llmPlannerFromEnv(opts.llmEnv ?? process.env, opts.logger),
    replicaId,
    diagnosticsDir: join(opts.dataDir, 'diagnostics'),
    pipeline,
  });

  const tokenFile = join(opts.dataDir, ADMIN_TOKEN_FILE);
  let server: Server;
  const inFlight = new InFlightRequests();
  let createdAdminToken: string | null;
  try {
    createdAdminToken = await ensureInitialAdminToken({
      store,
      createAdminToken: () => hq.auth.ensureAdminToken(),
      nowMs: () => clock.nowMs(),
      logger: opts.logger,
      tokenFile,
      shared: built.shared,
    });
    const metricsPublic = opts.env.CORTICAL_METRICS_PUBLIC === '1' || opts.env.CORTICAL_METRICS_PUBLIC === 'true';
    const app = createApiApp(hq, {
      gitHost: new ProcessGitHost(),
      webRoot: opts.webRoot ?? DEFAULT_WEB_ROOT,
      metrics: { registry: hq.metrics.registry, public: metricsPublic },
    });
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: inFlight.wrap(app.fetch), port: opts.port, hostname: opts.host }, () => resolve(s as Server));
      inFlight.watch(s as Server);
      (s as Server).once('error', reject);
    });
  } catch (e) {
    await bus.close();
    await store.close();
    throw e;
  }
  const address = server.address() as AddressInfo;
  const hostForUrl = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  const url = `http://${hostForUrl.includes(':') ? `[${hostForUrl}]` : hostForUrl}:${address.port}`;

  let bridge: Awaited<ReturnType<typeof startBridgeServer>> | null = null;
  let stopCrlWatch = (): void => undefined;
  if (opts.env.CORTICAL_BRIDGE_PORT === undefined && opts.env.CORTICAL_BRIDGE_TLS_CERT !== undefined) {
    opts.logger.warn({ cert: opts.env.CORTICAL_BRIDGE_TLS_CERT }, 'CORTICAL_BRIDGE_TLS_CERT is set but CORTICAL_BRIDGE_PORT is not: the Bridge is not served');
  }
  if (opts.env.CORTICAL_BRIDGE_PORT !== undefined) {
    try {
      const tls = await bridgeTlsFromEnv(opts.env);
      bridge = await startBridgeServer({
        host: opts.host,
        port: opts.env.CORTICAL_BRIDGE_PORT,
        backend: hq.bridge,
        authenticate: (token) => hq.auth.authenticate(token),
        logger: opts.logger.child({ component: 'bridge' }),
        ...(tls === undefined ? {} : { tls }),
        ...(opts.env.CORTICAL_BRIDGE_CLIENT_CERT_BINDING === 'label' ? { checkPeer: labelBinding((id) => store.getToken(id)) } : {}),
      });
      opts.logger.info({ url: bridge.url }, 'gRPC Bridge listening');
      const crlFile = opts.env.CORTICAL_BRIDGE_CLIENT_CRL;
      if (crlFile !== undefined) stopCrlWatch = watchClientCrl({ file: crlFile, intervalMs: opts.env.CORTICAL_BRIDGE_CLIENT_CRL_CHECK_MS, bridge, logger: opts.logger });
    } catch (e) {
      server.close();
      server.closeAllConnections();
      await bus.close();
      await store.close();
      throw e;
    }
  }

  const loops = new AbortController();
  const running = hq.start(loops.signal).catch((e: unknown) => {
    opts.logger.error({ err: e }, 'HQ loops failed');
  });
  // Cluster: copy the store's events into the JetStream stream (every replica runs one; the
  // stream drops re-published events by seq). On PostgreSQL events become visible in seq order
  // (migration 0007), so a hole below a visible seq is a rolled-back insert: no need to wait on it.
  const relaying =
    sink === null
      ? Promise.resolve()
      : new EventRelay({ store, bus, sink, logger: opts.logger }, { gapWaitMs: 0 }).start(loops.signal).catch((e: unknown) => {
          opts.logger.error({ err: e }, 'event relay failed');
        });

  let closed = false;
  return {
    hq,
    url,
    tokenFile,
    createdAdminToken,
    bridgeUrl: bridge === null ? null : `${bridge.url.startsWith('https:') ? 'https' : 'http'}://${hostForUrl.includes(':') ? `[${hostForUrl}]` : hostForUrl}:${bridge.port}`,
    async close() {
      if (closed) return;
      closed = true;
      loops.abort();
      stopCrlWatch();
      await Promise.all([running, relaying, bridge?.close()]);
      // Stop taking connections, then let the handlers already running finish (bounded) before the
      // store they read is closed; only then cut the connections still open (SSE streams).
      await stopServerGracefully(server, inFlight, { drainMs: HANDLER_DRAIN_MS, logger: opts.logger });
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
