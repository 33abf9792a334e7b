/** Picks the runtime that makes a node's sleeves. */
import Docker from 'dockerode';
import { join } from 'node:path';
import { HttpEgressGateway } from '../adapters/egress/http-proxy/http-egress-gateway.js';
import { BubblewrapRuntime } from '../adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { DEFAULT_DOCKER_IMAGE, DockerRuntime } from '../adapters/runtime/docker/docker-runtime.js';
import { ProcessRuntime } from '../adapters/runtime/process/process-runtime.js';
import { WarmPool } from '../adapters/runtime/warm-pool/warm-pool.js';
import { WarmPoolRuntime } from '../adapters/runtime/warm-pool/warm-pool-runtime.js';
import { profileOf } from '../adapters/runtime/warm-pool/warm-profile.js';
import type { EgressGateway } from '../core/ports/egress.js';
import type { Logger } from '../core/ports/logger.js';
import type { Runtime } from '../core/ports/runtime.js';
import { DEFAULT_SANDBOX } from '../core/sandbox.js';
import { CliUsageError } from '../interfaces/cli/cli-errors.js';
import type { RuntimeChoice } from '../interfaces/cli/server-runners.js';

export interface SelectedRuntime {
  readonly runtime: Runtime;
  /** The egress proxy of `allowlist` sleeves (bubblewrap only); close it on shutdown. */
  readonly egress: EgressGateway | null;
  /** Stops what the runtime keeps running (the warm pool's idle sleeves); call on shutdown. */
  readonly close: () => Promise<void>;
}

/** Warm sleeves kept per profile by a bubblewrap node unless told otherwise. */
export const DEFAULT_WARM_POOL_SIZE = 2;
const nothingToClose = (): Promise<void> => Promise.resolve();

/**
 * `auto`: bubblewrap when it works on this host, else the unsandboxed process runtime (with a
 * warning). `bubblewrap` and `docker` fail clearly when they are not available (`docker`: no
 * engine answers at $DOCKER_HOST or the default socket).
 * `hiddenPaths`: what no sleeve may see (the node's work dir with every workspace and its
 * credential, HQ's data dir); each sleeve's own workspace is re-exposed by the runtime.
 */
export async function selectRuntime(opts: {
  choice: RuntimeChoice;
  workDir: string;
  hiddenPaths: readonly string[];
  logger: Logger;
  /** Image of `docker` sleeves (default node:20-bookworm-slim). */
  dockerImage?: string | undefined;
  /** Warm bubblewrap sleeves per profile (default 2; 0 = every sleeve starts cold). */
  warmPool?: number | undefined;
}): Promise<SelectedRuntime> {
  if (opts.choice === 'process') {
    opts.logger.warn({ runtime: 'process' }, 'sleeves run UNSANDBOXED (--runtime process)');
    return { runtime: new ProcessRuntime(), egress: null, close: nothingToClose };
  }
  if (opts.choice === 'docker') {
    let docker: Docker;
    try {
      docker = new Docker();
    } catch (e) {
      throw new CliUsageError(`--runtime docker: ${(e as Error).message}`);
    }
    if (!(await DockerRuntime.available(docker))) {
      throw new CliUsageError(
        `--runtime docker: no Docker engine answers at ${process.env.DOCKER_HOST ?? 'the default socket (/var/run/docker.sock)'}: start dockerd or set DOCKER_HOST`,
      );
    }
    const image = opts.dockerImage ?? DEFAULT_DOCKER_IMAGE;
    opts.logger.info({ runtime: 'docker', image }, 'sleeves run in docker containers (network none|open; no allowlist)');
    return { runtime: new DockerRuntime({ docker, image, hiddenPaths: opts.hiddenPaths }), egress: null, close: nothingToClose };
  }
  const available = await BubblewrapRuntime.available();
  if (!available) {
    if (opts.choice === 'bubblewrap') {
      throw new CliUsageError('--runtime bubblewrap: bwrap is not installed or cannot create namespaces here (apt-get install bubblewrap)');
    }
    opts.logger.warn({ runtime: 'process' }, 'bubblewrap is not available: sleeves run UNSANDBOXED');
    return { runtime: new ProcessRuntime(), egress: null, close: nothingToClose };
  }
  const egress = new HttpEgressGateway({ socketDir: join(opts.workDir, 'egress'), logger: opts.logger.child({ component: 'egress' }) });
  const cold = new BubblewrapRuntime({ egress, hiddenPaths: opts.hiddenPaths });
  const size = opts.warmPool ?? DEFAULT_WARM_POOL_SIZE;
  if (size <= 0) return { runtime: cold, egress, close: nothingToClose };
  // Workspaces and homes are re-anchored into warm sleeves (see docs/sandbox.md, "Warm pool").
  const pool = new WarmPool(cold, {
    size,
    anchors: [join(opts.workDir, 'workspaces'), join(opts.workDir, 'homes')],
    poolDir: join(opts.workDir, 'warm-pool'),
    profiles: [profileOf(DEFAULT_SANDBOX)!],
    logger: opts.logger.child({ component: 'warm-pool' }),
  });
  pool.start();
  return { runtime: new WarmPoolRuntime(cold, pool), egress, close: () => pool.close() };
}
