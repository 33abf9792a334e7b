/** Composition root of a node: HTTP link to HQ, process runtime, agents, git workspaces. */
import type { Runtime } from '../core/ports/runtime.js';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AgentPolicyRules } from '../core/agent-policy-map.js';
import type { Clock } from '../core/clock.js';
import { describeEndpoints, endpointsFromEnv } from '../core/model-endpoints.js';
import { DEFAULT_TOOL_POLICY, tierAbove } from '../core/tool-policy.js';
import type { TaskTier } from '../core/node-command.js';
import { allAgentDrivers } from './agent-drivers.js';
import { discoverAgents } from './agent-discovery.js';
import { withAgentsEnvFile } from './agents-env-file.js';
import { endpointFor, needsEndpoint } from '../services/node/agent-choice.js';
import { SystemClock } from '../adapters/clock/system/system-clock.js';
import { HttpHqLink } from '../adapters/hq-link/http/http-hq-link.js';
import { FileNodeState } from '../adapters/node-state/file/file-node-state.js';
import { scrubbedEnv } from '../adapters/runtime/sleeve-env.js';
import { OsSystemProbe } from '../adapters/system-probe/os/os-system-probe.js';
import { GitWorkspaces } from '../adapters/workspace/git/git-workspace.js';
import { DEFAULT_IDLE_GRACE_MS, GitWorkspaceGc, gibToBytes } from '../adapters/workspace/git/workspace-gc.js';
import { GitWorkspaceSnapshots } from '../adapters/workspace/git/workspace-snapshots.js';
import { NodeWatchdog } from '../services/node/node-watchdog.js';
import type { NodeIdentity } from '../core/ports/hq-link.js';
import type { Logger } from '../core/ports/logger.js';
import type { RuntimeChoice } from '../interfaces/cli/server-runners.js';
import { NodeAgent } from '../services/node/node-agent.js';
import { PolicyDecisionLog } from '../services/node/policy-decision-log.js';
import { WorkspaceCommandRunner } from '../services/node/workspace-command-runner.js';
import { WorkspaceJanitor } from '../services/node/workspace-janitor.js';
import { VERSION } from './config.js';
import { selectRuntime } from './select-runtime.js';

export interface NodeStartOptions {
  /** HQ's URL, or every HQ replica's URL (the node fails over between them). */
  readonly hqUrl: string | readonly string[];
  readonly joinToken: string | null;
  readonly name: string | null;
  readonly capabilities: readonly string[] | null;
  readonly slots: number | null;
  /** Where workspaces and the node's credential (node.json) live. */
  readonly workDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly onReady?: (identity: NodeIdentity) => void;
  readonly runtime: RuntimeChoice;
  /** Image of `docker` sleeves. */
  readonly dockerImage?: string;
  /** Warm bubblewrap sleeves kept per profile (default 2; 0 = off). */
  readonly warmPool?: number;
  /** Workspace retention (the node's janitor); both null = off. */
  readonly gc?: { readonly keepDays: number | null; readonly maxGb: number | null };
  /** More paths no sleeve may see (e.g. HQ's data dir when HQ runs in the same process). */
  readonly hiddenPaths?: readonly string[];
}

export const DEFAULT_NODE_SLOTS = 2;

export function defaultNodeName(): string {
  const raw = hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (raw === '' ? 'node' : raw).slice(0, 63);
}

/** Runs the node until `signal` aborts. */
export async function runNode(opts: NodeStartOptions, signal: AbortSignal): Promise<void> {
  await mkdir(opts.workDir, { recursive: true, mode: 0o700 });
  const clock = new SystemClock();
  const selected = await selectRuntime({
    choice: opts.runtime,
    dockerImage: opts.dockerImage,
    warmPool: opts.warmPool,
    workDir: opts.workDir,
    hiddenPaths: [opts.workDir, ...(opts.hiddenPaths ?? [])],
    logger: opts.logger,
  });
  const endpoints = endpointsFromEnv(await withAgentsEnvFile(opts.env, opts.logger));
  const sleeveEnv = scrubbedEnv(opts.env, { homeDir: join(opts.workDir, 'home') });
  // One log per node: drivers decide tool calls with it, runners send its decisions to HQ.
  // `agent` is read only once tasks run, after it exists.
  const policyLog = nodePolicyLog(clock, () => agent.lockdown, (taskId) => agent.tierOf(taskId));
  const agents = await discoverAgents(allAgentDrivers({ policy: policyLog }), sleeveEnv, endpoints, (name) => !needsEndpoint(name) || endpointFor(name, endpoints) !== null);
  opts.logger.info({ agents: agents.versions, endpoints: describeEndpoints(endpoints) }, 'agents on this node');
  const hq = new HttpHqLink({ baseUrl: opts.hqUrl, requestTimeoutMs: 15_000, version: VERSION, logger: opts.logger.child({ component: 'hq-link' }) });
  const snapshots = new GitWorkspaceSnapshots(opts.workDir);
  const workspacePathOf = (taskId: string): string => join(opts.workDir, 'workspaces', taskId);
  const commands = new WorkspaceCommandRunner({ hq, snapshots, workspacePathOf, clock, logger: opts.logger.child({ component: 'workspace-commands' }) });
  // T2+ attempts whose node lost HQ past the threshold go back to their last snapshot (docs/watchdog.md).
  const watchdog = new NodeWatchdog({ hq, snapshots, workspacePathOf, clock, logger: opts.logger.child({ component: 'watchdog' }) });
  const agent = new NodeAgent({
    hq,
    commands,
    beforeIteration: (input) => commands.beforeIteration(input),
    watchdog,
    policyLog,
    state: new FileNodeState(opts.workDir),
    probe: new OsSystemProbe(),
    clock,
    logger: opts.logger.child({ component: 'node' }),
    runtime: selected.runtime,
    drivers: agents.drivers,
    endpoints,
    workspaces: new GitWorkspaces(opts.workDir),
    baseEnv: sleeveEnv,
    config: {
      name: opts.name ?? defaultNodeName(),
      joinToken: opts.joinToken,
      capabilities: withRuntimeCapabilities([...new Set([...(opts.capabilities ?? []), ...agents.capabilities])], selected.runtime),
      slots: opts.slots ?? DEFAULT_NODE_SLOTS,
      version: VERSION,
    },
    ...(opts.onReady ? { onReady: opts.onReady } : {}),
  });
  const janitor = new WorkspaceJanitor({
    gc: new GitWorkspaceGc(opts.workDir),
    clock,
    logger: opts.logger.child({ component: 'workspace-gc' }),
    policy: {
      keepDays: opts.gc?.keepDays ?? null,
      maxTotalBytes: opts.gc?.maxGb == null ? null : gibToBytes(opts.gc.maxGb),
      idleGraceMs: DEFAULT_IDLE_GRACE_MS,
    },
    heldTaskIds: () => agent.runningTaskIds,
  });
  try {
    await Promise.all([agent.start(signal), janitor.start(signal)]);
  } finally {
    await selected.close();
    await selected.egress?.close();
  }
}

/**
 * The node's policy gate for agent drivers: the default tool policy, raised to the task's declared
 * risk tier (a task declared T2 may make system changes: its workspace is snapshotted before
 * every iteration), with the fleet lockdown as the node last heard it.
 */
export function nodePolicyLog(clock: Clock, lockdown: () => boolean, tierOf: (taskId: string) => TaskTier | undefined = () => undefined): PolicyDecisionLog {
  return new PolicyDecisionLog({
    clock,
    rules: (taskId): AgentPolicyRules => {
      const tier = tierOf(taskId);
      const maxTier = tier !== undefined && tierAbove(tier, DEFAULT_TOOL_POLICY.maxTier) ? tier : DEFAULT_TOOL_POLICY.maxTier;
      return { policy: { ...DEFAULT_TOOL_POLICY, maxTier }, lockdown: lockdown() };
    },
  });
}

/**
 * A node advertises how its sleeves run, so tasks can require it (`--requires sandboxed`) and
 * the API and CLI show unsandboxed nodes as such: `runtime-<name>` and `sandboxed` or
 * `unsandboxed`.
 */
export function withRuntimeCapabilities(capabilities: readonly string[], runtime: Pick<Runtime, 'name' | 'sandboxed'>): string[] {
  const own = [`runtime-${runtime.name}`, runtime.sandboxed ? 'sandboxed' : 'unsandboxed'];
  const rest = capabilities.filter((c) => !c.startsWith('runtime-') && c !== 'sandboxed' && c !== 'unsandboxed');
  return [...rest, ...own];
}
