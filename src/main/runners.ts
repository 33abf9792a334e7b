/** The server runners the CLI calls for `up`, `hq` and `node`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gcWorkDir, gibToBytes } from '../adapters/workspace/git/workspace-gc.js';
import type { Logger } from '../core/ports/logger.js';
import { CliError, CliUsageError } from '../interfaces/cli/cli-errors.js';
import type { HqOptions, ServerRunners } from '../interfaces/cli/server-runners.js';
import { writeContext } from '../interfaces/cli/settings.js';
import type { EnvConfig } from './config.js';
import { loadHqConfigFile } from './hq-config-file.js';
import { describeHqSettings, HqConfigError, resolveHqSettings, type HqSettings } from './hq-settings.js';
import { redactSecrets } from './redact.js';
import { startHq, type RunningHq } from './start-hq.js';
import { defaultNodeName, runNode } from './start-node.js';

export interface RunnerDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly envConfig: EnvConfig;
  readonly logger: Logger;
  /** Aborts on SIGINT / SIGTERM. */
  readonly signal: AbortSignal;
}

export function createRunners(deps: RunnerDeps): ServerRunners {
  return {
    async hq(opts) {
      const settings = await hqSettings(opts, deps);
      const running = await startHqOrExplain({ host: opts.host, port: opts.port, dataDir: opts.dataDir, settings, env: deps.envConfig, logger: deps.logger });
      opts.onReady({
        url: running.url,
        tokenFile: running.createdAdminToken !== null ? running.tokenFile : null,
        createdAdminToken: running.createdAdminToken,
        ...(settings.preset === 'cluster' && { backend: backendLine(settings) }),
      });
      await untilAborted(deps.signal);
      await running.close();
    },

    async up(opts) {
      const settings = await hqSettings({ dataDir: opts.dataDir }, deps);
      const running = await startHqOrExplain({ host: opts.host, port: opts.port, dataDir: opts.dataDir, settings, env: deps.envConfig, logger: deps.logger });
      const contextFile = await writeContext(opts.dataDir, { hq: running.url, tokenFile: running.tokenFile });
      const nodeName = opts.nodeName ?? defaultNodeName();
      // The local node joins like any other node, with a single-use join token made just for it
      // (only needed on the first start: afterwards it reuses its stored credential).
      const join1 = await running.hq.auth.createToken({
        role: 'node',
        ttlMs: 10 * 60_000,
        singleUse: true,
        label: `local node of cortical up (${nodeName})`,
        actor: 'system',
      });
      const node = runNode(
        {
          hqUrl: running.url,
          joinToken: join1.token,
          name: nodeName,
          capabilities: opts.capabilities,
          slots: opts.slots,
          workDir: join(opts.dataDir, 'node'),
          runtime: opts.runtime,
          dockerImage: opts.dockerImage,
          warmPool: opts.warmPool,
          gc: { keepDays: opts.gcKeepDays, maxGb: opts.gcMaxGb },
          // HQ's data dir (database, admin token) is hidden from sleeves; the node's work dir
          // inside it is hidden too, except each sleeve's own workspace.
          hiddenPaths: [opts.dataDir],
          env: deps.env,
          logger: deps.logger,
          onReady: () =>
            opts.onReady({ url: running.url, tokenFile: running.tokenFile, createdAdminToken: running.createdAdminToken, contextFile, nodeName }),
        },
        deps.signal,
      );
      await node;
      await running.close();
    },

    gc(opts) {
      return gcWorkDir({
        workDir: opts.workDir,
        keepDays: opts.keepDays,
        maxTotalBytes: opts.maxGb === null ? null : gibToBytes(opts.maxGb),
        dryRun: opts.dryRun,
        deleteBranches: opts.deleteBranches,
      });
    },

    async node(opts) {
      const workDir = opts.workDir ?? join(opts.dataDir, 'node');
      if (opts.joinToken === null && !existsSync(join(workDir, 'node.json'))) {
        throw new CliUsageError(
          `cortical node needs --join-token TOKEN (or $CORTICAL_JOIN_TOKEN) to join for the first time (no stored credential in ${workDir}): create one on HQ with \`cortical token create --role node\``,
        );
      }
      const hqUrls = opts.hqUrls !== undefined && opts.hqUrls.length > 0 ? opts.hqUrls : [opts.hq];
      await runNode(
        {
          hqUrl: hqUrls,
          joinToken: opts.joinToken,
          name: opts.nodeName,
          capabilities: opts.capabilities,
          slots: opts.slots,
          workDir,
          runtime: opts.runtime,
          dockerImage: opts.dockerImage,
          warmPool: opts.warmPool,
          gc: { keepDays: opts.gcKeepDays, maxGb: opts.gcMaxGb },
          env: deps.env,
          logger: deps.logger,
          onReady: (identity) => opts.onReady({ nodeId: identity.nodeId, name: opts.nodeName ?? defaultNodeName(), hq: hqUrls.join(',') }),
        },
        deps.signal,
      );
    },
  };
}

/** The backend settings: flags > environment > config file > preset defaults. */
async function hqSettings(opts: Pick<HqOptions, 'dataDir' | 'preset' | 'store' | 'bus' | 'configFile'>, deps: RunnerDeps): Promise<HqSettings> {
  try {
    const cwd = process.cwd();
    const file = await loadHqConfigFile({ flag: opts.configFile, env: deps.env, dataDir: opts.dataDir, cwd });
    return resolveHqSettings({ flags: { preset: opts.preset, store: opts.store, bus: opts.bus }, env: deps.env, file, dataDir: opts.dataDir, cwd });
  } catch (e) {
    if (e instanceof HqConfigError) throw new CliUsageError(e.message);
    throw e;
  }
}

function backendLine(settings: HqSettings): string {
  const d = describeHqSettings(settings);
  return `${settings.preset} preset, store ${String(d['store'])}, bus ${String(d['bus'])}`;
}

/** Starts HQ; a store or bus that cannot be reached is a plain message (secrets masked). */
async function startHqOrExplain(opts: Parameters<typeof startHq>[0]): Promise<RunningHq> {
  try {
    return await startHq(opts);
  } catch (e) {
    throw new CliError(redactSecrets(e instanceof Error ? e.message : String(e)));
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
