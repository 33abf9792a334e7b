import type { SandboxSpec, SleeveLimits } from '../../../core/sandbox.js';

/**
 * What a warm sleeve is made for: its network mode and the limits that are fixed when the sandbox
 * starts (cgroups, rlimits). `allowlist` never has a profile: its egress socket is per grant.
 * The disk quota is not part of it (it is checked from outside while the sleeve runs).
 */
export interface WarmProfile {
  readonly network: 'none' | 'open';
  readonly limits: SleeveLimits;
}

/** Why a spawn did not get a warm sleeve and started cold instead. */
export const FALLBACK_REASONS = [
  /** The pool is closed (or has size 0). */
  'pool_closed',
  /** Network `allowlist`: the egress socket is bound per grant at start. */
  'network_allowlist',
  /** Read-only paths cannot be mounted into a running sandbox. */
  'read_only_paths',
  /** Stdin kept open for live input: a warm entry's stdin is handed over and closed. */
  'live_stdin',
  /** The working directory or a writable path is not a direct child of an anchor. */
  'outside_anchors',
  /** HOME is neither in the workspace nor in a writable path (cold gives it a private tmpfs). */
  'home_outside',
  /** An environment variable name the start shell cannot export. */
  'env_names',
  /** The workspace is already moved into another warm sleeve (two sleeves on one workspace). */
  'in_use',
  /** A path lies on another filesystem than the pool (rename cannot move it). */
  'cross_device',
  /** The profile had no warm entry yet (it is warmed from now on). */
  'new_profile',
  /** Every entry of the profile was taken (or is still starting). */
  'no_idle_entry',
  /** Moving the workspace in failed; it was left where it was. */
  'claim_failed',
] as const;
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

const START_LIMITS = ['memoryMb', 'cpuPercent', 'maxProcesses', 'maxFileSizeMb', 'maxOpenFiles'] as const;

/** The profile of a sandbox spec, or null for `allowlist`. */
export function profileOf(sandbox: SandboxSpec): WarmProfile | null {
  const mode = sandbox.network.mode;
  if (mode === 'allowlist') return null;
  return { network: mode, limits: { ...sandbox.limits, diskQuotaMb: null } };
}

/** A stable key: profiles with the same network mode and start limits share entries. */
export function profileKey(profile: WarmProfile): string {
  return JSON.stringify([profile.network, ...START_LIMITS.map((k) => profile.limits[k])]);
}
