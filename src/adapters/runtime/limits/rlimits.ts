import type { SleeveLimits } from '../../../core/sandbox.js';

const MB = 1024 * 1024;

/** Which rlimits a sleeve gets, in bytes / counts (null = leave as inherited). */
export interface RlimitPlan {
  readonly fileSizeBytes: number | null;
  readonly openFiles: number | null;
  /** RLIMIT_NPROC: only when no pids cgroup; counts every process of the host uid. */
  readonly processes: number | null;
  /** RLIMIT_AS: only when no memory cgroup; address space, not resident memory. */
  readonly addressSpaceBytes: number | null;
}

export function rlimitPlan(limits: SleeveLimits, cgroup: { memory: boolean; pids: boolean }): RlimitPlan {
  return {
    fileSizeBytes: limits.maxFileSizeMb === null ? null : Math.max(1, Math.round(limits.maxFileSizeMb * MB)),
    openFiles: limits.maxOpenFiles === null ? null : Math.max(8, Math.floor(limits.maxOpenFiles)),
    processes: cgroup.pids || limits.maxProcesses === null ? null : Math.max(1, Math.floor(limits.maxProcesses)),
    addressSpaceBytes: cgroup.memory || limits.memoryMb === null ? null : Math.max(1, Math.round(limits.memoryMb * MB)),
  };
}

/**
 * The plan as POSIX-shell `ulimit` commands (file size in 512-byte blocks; soft = hard).
 * The process limit is `-u` in bash and `-p` in dash, so both are tried.
 */
export function ulimitScript(plan: RlimitPlan): string {
  const parts: string[] = [];
  if (plan.fileSizeBytes !== null) parts.push(`ulimit -f ${Math.max(1, Math.floor(plan.fileSizeBytes / 512))}`);
  if (plan.openFiles !== null) parts.push(`ulimit -n ${plan.openFiles}`);
  if (plan.processes !== null) parts.push(`{ ulimit -u ${plan.processes} 2>/dev/null || ulimit -p ${plan.processes}; }`);
  if (plan.addressSpaceBytes !== null) parts.push(`ulimit -v ${Math.floor(plan.addressSpaceBytes / 1024)}`);
  return parts.map((p) => `${p} || exit 125; `).join('');
}
