import type { ChildProcess } from 'node:child_process';
import { signalOfExitCode } from '../exit-signal.js';
import type { EgressGrant } from '../../../core/ports/egress.js';
import type { Sleeve, SleeveExit, SleeveInput } from '../../../core/ports/runtime.js';
import type { SleeveEndReason, SleeveLimits } from '../../../core/sandbox.js';
import { diskUsage } from '../limits/disk-usage.js';
import { fileAtSize } from '../limits/file-at-size.js';
import type { SleeveCgroup } from '../limits/sleeve-cgroup.js';
import { alive, descendants, signalAll } from './process-tree.js';
import { sleeveLines, type SleeveLine } from '../process/sleeve-lines.js';

const MB = 1024 * 1024;
/** How long to wait for a SIGKILLed sandbox to vanish before giving up on it. */
const KILL_WAIT_MS = 10_000;
/** Grace given to a sleeve stopped for exceeding its disk quota. */
const QUOTA_GRACE_MS = 1000;

export interface BubblewrapSleeveOptions {
  readonly cwd: string;
  readonly writablePaths: readonly string[];
  readonly limits: SleeveLimits;
  readonly cgroup: SleeveCgroup | null;
  readonly grant: EgressGrant | null;
  readonly monitorIntervalMs: number;
  readonly diskCheckIntervalMs: number;
  readonly maxLineChars?: number | undefined;
  readonly lineHighWater?: number | undefined;
}

/**
 * One bubblewrap sandbox. `pid` is the outer bwrap process on the host; its child (`initPid`,
 * reported by bwrap) is pid 1 of the sleeve's pid namespace, and the command runs below it. When
 * the command exits, that init exits and the kernel kills whatever else is left in the
 * namespace, double-forked processes included. bwrap reports a death by signal N as exit code
 * 128+N; it is mapped back to the signal's name.
 */
export class BubblewrapSleeve implements Sleeve {
  input: SleeveInput | undefined = undefined;
  readonly lines: AsyncIterable<SleeveLine>;
  readonly exited: Promise<SleeveExit>;
  private stopping: Promise<void> | null = null;
  private stopRequestedBeforeExit = false;
  private killedAfterGrace = false;
  private limitReason: { reason: SleeveEndReason; detail: string } | null = null;
  private gone = false;
  private settled = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private checkingDisk = false;

  constructor(
    child: ChildProcess,
    readonly pid: number,
    private readonly initPid: number,
    private readonly options: BubblewrapSleeveOptions,
  ) {
    this.lines = sleeveLines(child.stdout, child.stderr, options);
    const bwrapExit = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.startMonitors();
    this.exited = bwrapExit.then(async (raw) => {
      this.gone = true;
      for (const t of this.timers) clearInterval(t);
      if (this.stopping !== null) await this.stopping;
      const exit = await this.finish(raw);
      await this.cleanUp();
      this.settled = true;
      return exit;
    });
  }

  /** Sandbox processes other than the two bwrap processes (host pids). */
  private inner(): number[] {
    const all = this.options.cgroup?.processes() ?? descendants(this.pid);
    return all.filter((p) => p !== this.pid && p !== this.initPid);
  }

  suspend(): void {
    if (this.gone) return;
    if (this.options.cgroup?.setFrozen(true) === true) return;
    signalAll(this.inner(), 'SIGSTOP');
  }

  resume(): void {
    if (this.gone) return;
    if (this.options.cgroup?.setFrozen(false) === true) return;
    signalAll(this.inner(), 'SIGCONT');
  }

  stop(graceMs: number): Promise<SleeveExit> {
    if (this.settled) return this.exited;
    if (this.stopping === null) {
      if (!this.gone) this.stopRequestedBeforeExit = true;
      this.stopping = this.terminate(graceMs);
    }
    return this.stopping.then(() => this.exited);
  }

  /** Ends the sleeve because it broke a limit; the exit reports `reason`. */
  private stopForLimit(reason: SleeveEndReason, detail: string, graceMs: number): void {
    if (this.gone || this.stopping !== null) return;
    this.limitReason = { reason, detail };
    void this.stop(graceMs);
  }

  private async waitGone(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.gone || !alive(this.pid)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * SIGTERM to every process of the sleeve (bwrap's own two excepted: its init would ignore it),
   * thawing a suspended sleeve first; after the grace, SIGKILL to the namespace's init, which
   * takes the whole pid namespace down, and to anything else still listed.
   */
  private async terminate(graceMs: number): Promise<void> {
    if (this.gone) return;
    this.options.cgroup?.setFrozen(false);
    if (graceMs > 0) {
      signalAll(this.inner(), 'SIGTERM');
      signalAll(this.inner(), 'SIGCONT');
      if (await this.waitGone(graceMs)) return;
    }
    this.killedAfterGrace = graceMs > 0 || this.limitReason === null;
    signalAll([this.initPid, ...this.inner()], 'SIGKILL');
    if (await this.waitGone(KILL_WAIT_MS)) return;
    signalAll([this.pid], 'SIGKILL');
    await this.waitGone(KILL_WAIT_MS);
  }

  private startMonitors(): void {
    const { cgroup, limits } = this.options;
    if (cgroup !== null && limits.maxProcesses !== null) {
      const t = setInterval(() => {
        if (cgroup.events().pidsLimitHits > 0) {
          this.stopForLimit('pids_limit', `process limit ${limits.maxProcesses} reached`, 0);
        }
      }, this.options.monitorIntervalMs);
      t.unref();
      this.timers.push(t);
    }
    if (limits.diskQuotaMb !== null) {
      const quota = limits.diskQuotaMb * MB;
      const t = setInterval(() => {
        if (this.checkingDisk || this.gone) return;
        this.checkingDisk = true;
        diskUsage(this.options.cwd, quota)
          .then((used) => {
            if (used > quota) {
              this.stopForLimit('disk_quota', `workspace disk quota ${limits.diskQuotaMb} MB exceeded`, QUOTA_GRACE_MS);
            }
          })
          .catch(() => undefined)
          .finally(() => {
            this.checkingDisk = false;
          });
      }, this.options.diskCheckIntervalMs);
      t.unref();
      this.timers.push(t);
    }
  }

  private async finish(raw: { code: number | null; signal: string | null }): Promise<SleeveExit> {
    let exitCode = raw.code;
    let signal = raw.signal;
    if (signal === null && exitCode !== null && exitCode > 128) {
      const name = signalOfExitCode(exitCode);
      if (name !== null) {
        signal = name;
        exitCode = null;
      }
    }
    const endedBy = this.killedAfterGrace ? 'killed_after_grace' : this.stopRequestedBeforeExit ? 'stopped' : 'exit';
    const found = this.classify(exitCode, signal) ?? (await this.efbigDeath(exitCode));
    if (found === null || found.reason === endedBy) return { exitCode, signal, endedBy };
    return { exitCode, signal, endedBy, reason: found.reason, detail: found.detail };
  }

  private classify(exitCode: number | null, signal: string | null): { reason: SleeveEndReason; detail: string } | null {
    if (this.limitReason !== null) return this.limitReason;
    const { limits, cgroup } = this.options;
    const events = cgroup?.events();
    if (events !== undefined && events.oomKills > 0) {
      return { reason: 'oom', detail: `memory limit ${limits.memoryMb} MB reached (${events.oomKills} OOM kill(s))` };
    }
    if (signal === 'SIGKILL' && !this.stopRequestedBeforeExit && events !== undefined && events.memoryLimitHits > 0) {
      return { reason: 'oom', detail: `killed at the memory limit of ${limits.memoryMb} MB` };
    }
    if (events !== undefined && events.pidsLimitHits > 0 && exitCode !== 0) {
      return { reason: 'pids_limit', detail: `process limit ${limits.maxProcesses} reached` };
    }
    if (signal === 'SIGXFSZ') return { reason: 'file_size_limit', detail: `file size limit ${limits.maxFileSizeMb} MB reached` };
    return null;
  }

  /** A failed sleeve that left a file of exactly the size limit most likely died of EFBIG. */
  private async efbigDeath(exitCode: number | null): Promise<{ reason: SleeveEndReason; detail: string } | null> {
    const { limits } = this.options;
    if (exitCode === 0 || this.stopRequestedBeforeExit || limits.maxFileSizeMb === null) return null;
    const file = await fileAtSize([this.options.cwd, ...this.options.writablePaths], limits.maxFileSizeMb * MB);
    if (file === null) return null;
    return { reason: 'file_size_limit', detail: `file size limit ${limits.maxFileSizeMb} MB reached by ${file}` };
  }

  private async cleanUp(): Promise<void> {
    const leftovers = this.inner();
    if (leftovers.length > 0) signalAll([this.initPid, ...leftovers], 'SIGKILL');
    await this.options.cgroup?.remove();
    await this.options.grant?.release().catch(() => undefined);
  }
}
