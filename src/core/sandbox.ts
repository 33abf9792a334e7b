/** What a sleeve may do: its network policy and resource limits. Pure types and defaults. */

export const NETWORK_MODES = ['none', 'allowlist', 'open'] as const;
/**
 * `none`: loopback of its own only. `allowlist`: only the named hosts (and ports), through the
 * node's egress proxy. `open`: the host's network (unsandboxed egress).
 */
export type NetworkMode = (typeof NETWORK_MODES)[number];

export interface NetworkPolicy {
  readonly mode: NetworkMode;
  /** `host` or `host:port` entries (lowercase names or IP literals); used by `allowlist`. */
  readonly allow: readonly string[];
}

export interface SleeveLimits {
  readonly memoryMb: number | null;
  /** CPU share: 100 = one core. */
  readonly cpuPercent: number | null;
  readonly maxProcesses: number | null;
  readonly maxFileSizeMb: number | null;
  readonly maxOpenFiles: number | null;
  /** Disk quota of the workspace. */
  readonly diskQuotaMb: number | null;
}

export interface SandboxSpec {
  readonly network: NetworkPolicy;
  readonly limits: SleeveLimits;
}

export const DEFAULT_SLEEVE_LIMITS: SleeveLimits = {
  memoryMb: 4096,
  cpuPercent: null,
  maxProcesses: 1024,
  maxFileSizeMb: 4096,
  maxOpenFiles: 4096,
  diskQuotaMb: null,
};

export const DEFAULT_SANDBOX: SandboxSpec = {
  network: { mode: 'none', allow: [] },
  limits: DEFAULT_SLEEVE_LIMITS,
};

/** How a runtime enforced (or could not enforce) each limit; shown in the API. */
/** `docker-cgroup`: the cgroup a Docker engine sets up for a container. */
export type LimitMechanism =
  | 'cgroup-v2'
  | 'cgroup-v1'
  | 'docker-cgroup'
  | 'prlimit'
  | 'rlimit'
  | 'namespace'
  | 'proxy'
  | 'quota-check'
  | 'none';

export type Enforcement = Readonly<Partial<Record<keyof SleeveLimits | 'network' | 'filesystem', LimitMechanism>>>;

/** Why a sleeve ended, beyond its exit code. */
export const SLEEVE_END_REASONS = [
  'exit',
  'stopped',
  'killed_after_grace',
  'oom',
  'pids_limit',
  'file_size_limit',
  'cpu_time_limit',
  'disk_quota',
] as const;
export type SleeveEndReason = (typeof SLEEVE_END_REASONS)[number];

/**
 * One line for logs and status: the runtime, whether it sandboxes, and which mechanism enforces
 * each part of the sandbox (`memoryMb: cgroup-v1`, …). A runtime without a sandbox says so.
 */
export function describeSleeveRuntime(runtime: { readonly name: string; readonly sandboxed: boolean; readonly enforcement?: Enforcement | undefined }): string {
  if (!runtime.sandboxed) return `sleeve runtime ${runtime.name}: UNSANDBOXED (no filesystem, network or resource isolation)`;
  const parts = Object.entries(runtime.enforcement ?? {}).map(([what, how]) => `${what}: ${String(how)}`);
  return `sleeve runtime ${runtime.name}: sandboxed${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
