/** Picks the runtime that makes a node's sleeves. */
import { join } from 'node:path';
import { HttpEgressGateway } from '../adapters/egress/http-proxy/http-egress-gateway.js';
import { BubblewrapRuntime } from '../adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { ProcessRuntime } from '../adapters/runtime/process/process-runtime.js';
import type { EgressGateway } from '../core/ports/egress.js';
import type { Logger } from '../core/ports/logger.js';
import type { Runtime } from '../core/ports/runtime.js';
import { CliUsageError } from '../interfaces/cli/cli-errors.js';
import type { RuntimeChoice } from '../interfaces/cli/server-runners.js';

export interface SelectedRuntime {
  readonly runtime: Runtime;
  /** The egress proxy of `allowlist` sleeves (bubblewrap only); close it on shutdown. */
  readonly egress: EgressGateway | null;
}

/**
 * `auto`: bubblewrap when it works on this host, else the unsandboxed process runtime (with a
 * warning). `bubblewrap` fails clearly when it is not available.
 * `hiddenPaths`: what no sleeve may see (the node's work dir with every workspace and its
 * credential, HQ's data dir); each sleeve's own workspace is re-exposed by the runtime.
 */
export async function selectRuntime(opts: {
  choice: RuntimeChoice;
  workDir: string;
  hiddenPaths: readonly string[];
  logger: Logger;
}): Promise<SelectedRuntime> {
  if (opts.choice === 'process') {
    opts.logger.warn({ runtime: 'process' }, 'sleeves run UNSANDBOXED (--runtime process)');
    return { runtime: new ProcessRuntime(), egress: null };
  }
  const available = await BubblewrapRuntime.available();
  if (!available) {
    if (opts.choice === 'bubblewrap') {
      throw new CliUsageError('--runtime bubblewrap: bwrap is not installed or cannot create namespaces here (apt-get install bubblewrap)');
    }
    opts.logger.warn({ runtime: 'process' }, 'bubblewrap is not available: sleeves run UNSANDBOXED');
    return { runtime: new ProcessRuntime(), egress: null };
  }
  const egress = new HttpEgressGateway({ socketDir: join(opts.workDir, 'egress'), logger: opts.logger.child({ component: 'egress' }) });
  return { runtime: new BubblewrapRuntime({ egress, hiddenPaths: opts.hiddenPaths }), egress };
}
