import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Sleeve } from '../../../core/ports/runtime.js';
import type { SleeveLimits } from '../../../core/sandbox.js';
import type { BubblewrapRuntime, StartedSandbox } from '../bubblewrap/bubblewrap-runtime.js';
import { alive, signalAll } from '../bubblewrap/process-tree.js';
import { ANCHORS_FILE, anchorsFileText } from './re-anchor.js';
import type { WarmProfile } from './warm-profile.js';

/**
 * The waiting shell reads its script from its stdin; the sleeve's own stdin comes on this fd
 * (after bwrap's gate 3 and status 4) and is made fd 0 of the command by the script. (Node's
 * stdio pipes are socket pairs, which cannot be opened again through /dev/fd, so the script
 * cannot simply be sourced from an extra fd.)
 */
export const STDIN_FD = 5;
const KILL_WAIT_MS = 5000;

/** What a claimed entry runs: the script for its waiting shell and the sleeve's stdin. */
export interface EntryHandOver {
  readonly script: string;
  readonly stdin: string | undefined;
  /** Host paths of the workspace and writable paths (now in the slots), for the quota checks. */
  readonly cwd: string;
  readonly writablePaths: readonly string[];
  readonly limits: SleeveLimits;
}

/**
 * One warm sleeve: a started sandbox of a profile with an empty slot per anchor, its shell
 * waiting for a script on its stdin. Single use: after a claim it becomes that sleeve; otherwise it is
 * killed when the pool closes. `<poolDir>/<id>/` holds `anchors.json` and the slots `0`, `1` …
 * (owned by the node, searchable but not writable for the sandbox: a sleeve cannot add
 * siblings to its workspace).
 */
export class WarmEntry {
  private exitedEarly = false;
  private claimed = false;
  private readonly exitWaiters: (() => void)[] = [];

  private constructor(
    readonly id: string,
    readonly key: string,
    readonly dir: string,
    readonly anchors: readonly string[],
    private readonly started: StartedSandbox,
  ) {
    this.child.once('exit', () => {
      this.exitedEarly = !this.claimed;
      for (const w of this.exitWaiters.splice(0)) w();
    });
  }

  static async start(
    runtime: BubblewrapRuntime,
    profile: WarmProfile,
    key: string,
    pool: { readonly poolDir: string; readonly anchors: readonly string[] },
  ): Promise<WarmEntry> {
    const id = `warm-${randomUUID()}`;
    const dir = join(pool.poolDir, id);
    mkdirSync(dir, { mode: 0o711 });
    try {
      writeFileSync(join(dir, ANCHORS_FILE), anchorsFileText(pool.anchors), { mode: 0o600 });
      const slots = pool.anchors.map((path, n) => {
        const slot = join(dir, String(n));
        mkdirSync(slot, { mode: 0o711 });
        return { slot, path };
      });
      const started = await runtime.startWarm({
        sleeveId: id,
        network: profile.network,
        limits: profile.limits,
        anchors: slots,
        extraHidden: [pool.poolDir],
        waiter: (rlimits) => ['/bin/sh', '-c', `${rlimits}exec /bin/sh -s`],
        extraPipes: 1,
      });
      return new WarmEntry(id, key, dir, pool.anchors, started);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  private get child(): ChildProcess {
    return this.started.launched.child;
  }

  /** Alive and not claimed yet. */
  get usable(): boolean {
    return !this.claimed && !this.exitedEarly && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the entry's sandbox ended before a claim (for the pool to replace it). */
  onEarlyExit(listener: () => void): void {
    this.child.once('exit', () => {
      if (this.exitedEarly) listener();
    });
  }

  /** The slot directory of anchor `n` (host path). */
  slot(n: number): string {
    return join(this.dir, String(n));
  }

  /** Marks the entry as taken (before any await, so no second claim can get it). */
  take(): void {
    this.claimed = true;
  }

  /**
   * Hands the entry its task: writes the script and stdin and closes both pipes, and returns the
   * running sleeve. Call after the task's directories are in the slots.
   */
  handOver(runtime: BubblewrapRuntime, h: EntryHandOver): Sleeve {
    const sleeve = runtime.sleeveOf(this.started, { cwd: h.cwd, writablePaths: h.writablePaths, limits: h.limits, grant: null });
    const stdin = (this.child.stdio as unknown as (Writable | null)[])[STDIN_FD]!;
    stdin.on('error', () => undefined);
    stdin.end(h.stdin ?? '');
    const script = this.child.stdin!;
    script.on('error', () => undefined);
    script.end(h.script);
    return sleeve;
  }

  /** Removes the entry's directory (its slots must be empty again). */
  removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Kills an unclaimed entry's sandbox and removes its cgroups and directory. */
  async destroy(): Promise<void> {
    this.claimed = true;
    const { pid, initPid } = this.started.launched;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const gone = new Promise<void>((r) => this.exitWaiters.push(r));
      signalAll([initPid, pid], 'SIGKILL');
      await Promise.race([gone, new Promise((r) => setTimeout(r, KILL_WAIT_MS))]);
    }
    if (alive(initPid)) signalAll([initPid], 'SIGKILL');
    for (const s of [this.child.stdout, this.child.stderr]) s?.destroy();
    await this.started.cgroup?.remove();
    this.removeDir();
  }
}
