/** The server runners the CLI calls for `up`, `hq` and `node`. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gcWorkDir, gibToBytes } from '../adapters/workspace/git/workspace-gc.js';
import type { Logger } from '../core/ports/logger.js';
import { CliUsageError } from '../interfaces/cli/cli-errors.js';
import type { ServerRunners } from '../interfaces/cli/server-runners.js';
import { writeContext } from '../interfaces/cli/settings.js';
import type { EnvConfig } from './config.js';
import { startHq } from './start-hq.js';
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
      const running = await startHq({ ...opts, env: deps.envConfig, logger: deps.logger });
      opts.onReady({
        url: running.url,
        tokenFile: running.createdAdminToken !== null ? running.tokenFile : null,
        createdAdminToken: running.createdAdminToken,
      });
      await untilAborted(deps.signal);
      await running.close();
    },

    async up(opts) {
      const running = await startHq({ ...opts, env: deps.envConfig, logger: deps.logger });
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
      await runNode(
        {
          hqUrl: opts.hq,
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
          onReady: (identity) => opts.onReady({ nodeId: identity.nodeId, name: opts.nodeName ?? defaultNodeName(), hq: opts.hq }),
        },
        deps.signal,
      );
    },
  };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
