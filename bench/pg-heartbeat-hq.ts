/**
 * The HQ process of the heartbeat bench: HQ as `cortical hq --preset cluster` starts it
 * (`startHq`: PostgreSQL store, NATS bus with the event relay, the REST API on a local port, the
 * scheduler and the reaper), with HQ's default settings. Logs are off; the store's retries of
 * conflicting transactions and error lines are counted. It answers with its URL
 * and a multi-use join token for the simulated fleet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../src/core/ports/logger.js';
import { readEnvConfig } from '../src/main/config.js';
import type { HqSettings } from '../src/main/hq-settings.js';
import { startHq, type RunningHq } from '../src/main/start-hq.js';
import { serveParent } from './pg-bench-ipc.js';

export interface HeartbeatHqStart {
  readonly pgUrl: string;
  readonly natsUrl: string;
  readonly subjectPrefix: string;
  readonly streamName: string;
}

export interface HeartbeatHqInfo {
  readonly pid: number;
  readonly url: string;
  readonly joinToken: string;
  readonly heartbeatIntervalMs: number;
}

export interface HeartbeatHqStats {
  /** Transactions run again after a serialization failure or deadlock. */
  readonly txRetries: number;
  readonly errors: number;
}

let txRetries = 0;
let errors = 0;

/** No output; counts the store's retry notices and error lines (what HQ would log). */
const countingLogger: Logger = {
  debug: (_o, msg) => {
    if (msg.startsWith('transaction conflict')) txRetries += 1;
  },
  info: () => undefined,
  warn: () => undefined,
  error: () => {
    errors += 1;
  },
  child: () => countingLogger,
};

let running: RunningHq | null = null;
let dataDir: string | null = null;

serveParent({
  async start(body: HeartbeatHqStart): Promise<HeartbeatHqInfo> {
    dataDir = mkdtempSync(join(tmpdir(), 'cortical-hb-bench-'));
    const settings: HqSettings = {
      preset: 'cluster',
      store: { kind: 'postgres', url: body.pgUrl },
      bus: { kind: 'nats', servers: [body.natsUrl], subjectPrefix: body.subjectPrefix, streamName: body.streamName },
      sources: { preset: 'flag', store: 'flag', bus: 'flag' },
      configFile: null,
    };
    running = await startHq({ dataDir, host: '127.0.0.1', port: 0, env: readEnvConfig({}), logger: countingLogger, settings, webRoot: dataDir });
    const token = await running.hq.auth.createToken({ role: 'node', actor: 'bench', label: 'heartbeat bench', singleUse: false });
    return { pid: process.pid, url: running.url, joinToken: token.token, heartbeatIntervalMs: running.hq.config.heartbeatIntervalMs };
  },

  stats(): Promise<HeartbeatHqStats> {
    return Promise.resolve({ txRetries, errors });
  },

  async stop() {
    await running?.close();
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
    return null;
  },
});
