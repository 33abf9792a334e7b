import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SleeveLimits } from '../../../core/sandbox.js';
import type { CgroupSupport, SleeveController } from './cgroup-support.js';

const MB = 1024 * 1024;
const CPU_PERIOD_US = 100_000;

/** Counters read from a sleeve's cgroup when it ends (0 where unknown). */
export interface CgroupEvents {
  readonly oomKills: number;
  /** v1 `memory.failcnt` / v2 `memory.events max`: allocations that hit the limit. */
  readonly memoryLimitHits: number;
  /** Forks refused by `pids.max`. */
  readonly pidsLimitHits: number;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** `key value` lines (memory.events, pids.events, memory.oom_control) → the value of `key`. */
function keyed(text: string, key: string): number {
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k === key && v !== undefined) return Number(v) || 0;
  }
  return 0;
}

/**
 * One sleeve's cgroup(s): made before the sandbox runs, limits written, the sandbox's first
 * process added (its descendants follow by inheritance), removed after the sleeve is gone.
 * Limits that cannot be written are reported in `applied` and left to rlimit fallbacks.
 */
export class SleeveCgroup {
  /** The directory per controller of this sleeve. */
  private readonly dirs = new Map<SleeveController, string>();
  readonly applied = { memory: false, pids: false, cpu: false, freezer: false };

  private constructor(private readonly support: CgroupSupport) {}

  static create(support: CgroupSupport, sleeveId: string, limits: SleeveLimits): SleeveCgroup {
    const cg = new SleeveCgroup(support);
    const dirsByPath = new Map<string, string>();
    for (const [controller, parent] of Object.entries(support.parents) as [SleeveController, string][]) {
      const dir = join(parent, sleeveId);
      if (!dirsByPath.has(dir)) {
        try {
          mkdirSync(dir);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') continue;
        }
        dirsByPath.set(dir, dir);
      }
      cg.dirs.set(controller, dir);
    }
    cg.applyLimits(limits);
    return cg;
  }

  get version(): CgroupSupport['version'] {
    return this.support.version;
  }

  private write(controller: SleeveController, file: string, value: string): boolean {
    const dir = this.dirs.get(controller);
    if (dir === undefined) return false;
    try {
      writeFileSync(join(dir, file), value);
      return true;
    } catch {
      return false;
    }
  }

  private applyLimits(limits: SleeveLimits): void {
    const v2 = this.support.version === 'v2';
    if (limits.memoryMb !== null) {
      const bytes = String(Math.max(1, Math.round(limits.memoryMb * MB)));
      if (v2) {
        this.applied.memory = this.write('memory', 'memory.max', bytes);
        if (this.applied.memory) this.write('memory', 'memory.swap.max', '0');
      } else {
        this.applied.memory = this.write('memory', 'memory.limit_in_bytes', bytes);
        // memsw must be >= limit_in_bytes; with it equal the sleeve cannot escape into swap.
        if (this.applied.memory && this.support.memsw) this.write('memory', 'memory.memsw.limit_in_bytes', bytes);
      }
    }
    if (limits.maxProcesses !== null) {
      this.applied.pids = this.write('pids', 'pids.max', String(Math.max(1, Math.floor(limits.maxProcesses))));
    }
    if (limits.cpuPercent !== null) {
      const quota = Math.max(1000, Math.round((limits.cpuPercent / 100) * CPU_PERIOD_US));
      this.applied.cpu = v2
        ? this.write('cpu', 'cpu.max', `${quota} ${CPU_PERIOD_US}`)
        : this.write('cpu', 'cpu.cfs_period_us', String(CPU_PERIOD_US)) &&
          this.write('cpu', 'cpu.cfs_quota_us', String(quota));
    }
    this.applied.freezer = this.dirs.has('freezer');
  }

  /** Moves `pid` into every controller's cgroup of this sleeve; false if any write failed. */
  addProcess(pid: number): boolean {
    let ok = true;
    for (const dir of new Set(this.dirs.values())) {
      try {
        writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      } catch {
        ok = false;
      }
    }
    return ok;
  }

  /** Pids in the sleeve's cgroup (host pid namespace), or null without a cgroup to ask. */
  processes(): number[] | null {
    const dir = this.dirs.get('freezer') ?? this.dirs.get('pids') ?? this.dirs.get('memory') ?? this.dirs.values().next().value;
    if (dir === undefined) return null;
    return read(join(dir, 'cgroup.procs'))
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  }

  /** Freezes (true) or thaws (false) every process; false when no freezer is available. */
  setFrozen(frozen: boolean): boolean {
    if (!this.applied.freezer) return false;
    return this.support.version === 'v2'
      ? this.write('freezer', 'cgroup.freeze', frozen ? '1' : '0')
      : this.write('freezer', 'freezer.state', frozen ? 'FROZEN' : 'THAWED');
  }

  events(): CgroupEvents {
    const mem = this.dirs.get('memory');
    const pids = this.dirs.get('pids');
    let oomKills = 0;
    let memoryLimitHits = 0;
    if (mem !== undefined) {
      if (this.support.version === 'v2') {
        const ev = read(join(mem, 'memory.events'));
        oomKills = keyed(ev, 'oom_kill');
        memoryLimitHits = keyed(ev, 'max');
      } else {
        const oc = read(join(mem, 'memory.oom_control'));
        oomKills = keyed(oc, 'oom_kill') + keyed(oc, 'under_oom');
        memoryLimitHits = Number(read(join(mem, 'memory.failcnt')).trim()) || 0;
        if (this.support.memsw) memoryLimitHits += Number(read(join(mem, 'memory.memsw.failcnt')).trim()) || 0;
      }
    }
    const pidsLimitHits = pids === undefined ? 0 : keyed(read(join(pids, 'pids.events')), 'max');
    return { oomKills, memoryLimitHits, pidsLimitHits };
  }

  /**
   * Removes the cgroup directories; retries while the last processes are reaped (the sandbox's
   * init may still be exiting when bwrap has already reported), first at once, then backing off
   * to 5 ms.
   */
  async remove(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const dir of new Set(this.dirs.values())) {
      for (let attempt = 0; ; attempt++) {
        try {
          if (existsSync(dir)) rmdirSync(dir);
          break;
        } catch {
          if (Date.now() >= deadline) break;
          if (attempt < 3) await new Promise((r) => setImmediate(r));
          else await new Promise((r) => setTimeout(r, attempt < 8 ? 1 : 5));
        }
      }
    }
  }
}
