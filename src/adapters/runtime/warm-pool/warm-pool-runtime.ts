import { existsSync, lstatSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CorticalError } from '../../../core/errors.js';
import type { Runtime, Sleeve, SleeveExit, SpawnSpec } from '../../../core/ports/runtime.js';
import { DEFAULT_SANDBOX, type Enforcement } from '../../../core/sandbox.js';
import type { BubblewrapRuntime } from '../bubblewrap/bubblewrap-runtime.js';
import { isWithin } from '../bubblewrap/bwrap-args.js';
import { resolveCommand } from '../bubblewrap/resolve-command.js';
import { anchorOf, moveBack, moveIn, type MovedPath } from './re-anchor.js';
import type { WarmEntry } from './warm-entry.js';
import { STDIN_FD } from './warm-entry.js';
import type { WarmPool } from './warm-pool.js';
import { profileOf, type FallbackReason } from './warm-profile.js';
import { claimScript, exportableNames } from './warm-script.js';

/**
 * The bubblewrap runtime with a warm pool in front: a spawn whose spec fits a warm sleeve takes
 * one and re-anchors it (moves the task's directories into its slots, hands it the script with
 * the spec's working directory, environment and command); any other spawn goes to the cold
 * runtime, and the reason is counted. Either way the sleeve behaves the same.
 */
export class WarmPoolRuntime implements Runtime {
  readonly name = 'bubblewrap';
  readonly sandboxed = true;
  readonly enforcement: Enforcement;

  constructor(
    private readonly cold: BubblewrapRuntime,
    readonly pool: WarmPool,
  ) {
    this.enforcement = cold.enforcement;
  }

  /** Why `spec` cannot use a warm sleeve, or the directories to move into the entry's slots. */
  private plan(spec: SpawnSpec): FallbackReason | { index: number; original: string }[] {
    const sandbox = spec.sandbox ?? DEFAULT_SANDBOX;
    if (!this.pool.isOpen) return 'pool_closed';
    if (sandbox.network.mode === 'allowlist') return 'network_allowlist';
    if ((spec.readOnlyPaths ?? []).length > 0) return 'read_only_paths';
    if (spec.keepStdinOpen === true) return 'live_stdin';
    if (!exportableNames(spec.env)) return 'env_names';
    const dirs = [...new Set([spec.cwd, ...(spec.writablePaths ?? [])].map((p) => resolve(p)))];
    const moves: { index: number; original: string }[] = [];
    for (const d of dirs) {
      const at = anchorOf(d, this.pool.anchors);
      if (at === null) return 'outside_anchors';
      moves.push({ index: at.index, original: d });
    }
    const home = spec.env.HOME;
    if (home !== undefined && home !== '/' && !dirs.some((d) => isWithin(home, d))) return 'home_outside';
    for (const m of moves) {
      let st;
      try {
        st = lstatSync(m.original);
      } catch {
        return 'claim_failed';
      }
      if (st.isSymbolicLink()) return 'in_use';
      if (!st.isDirectory()) return 'claim_failed';
      if (!this.pool.sameDevice(m.original)) return 'cross_device';
    }
    return moves;
  }

  async spawn(spec: SpawnSpec): Promise<Sleeve> {
    const sandbox = spec.sandbox ?? DEFAULT_SANDBOX;
    const command = existsSync(spec.cwd) ? resolveCommand(spec.command, spec.cwd, spec.env.PATH) : null;
    // Anything the cold runtime would refuse is refused by it, with its messages.
    if (command === null) return this.cold.spawn(spec);
    const plan = this.plan(spec);
    const profile = profileOf(sandbox);
    if (typeof plan === 'string' || profile === null) return this.fallback(spec, typeof plan === 'string' ? plan : 'network_allowlist');
    const entry = this.pool.take(profile);
    if (typeof entry === 'string') return this.fallback(spec, entry);

    const moved: MovedPath[] = plan.map((m) => ({ original: m.original, moved: join(entry.slot(m.index), m.original.slice(m.original.lastIndexOf('/') + 1)) }));
    try {
      moveIn(moved);
    } catch {
      this.pool.giveBack(entry);
      return this.fallback(spec, 'claim_failed');
    }
    const cwd = moved[0]!.moved;
    const writablePaths = moved.slice(1).map((m) => m.moved);
    try {
      await this.cold.handOver(moved.map((m) => m.moved), []);
    } catch (e) {
      await this.release(entry, moved);
      throw new CorticalError('UNAVAILABLE', `cannot start ${spec.command}: cannot prepare the workspace for the sandbox user: ${(e as Error).message}`, {
        command: spec.command,
      });
    }
    const script = claimScript({ stdinFd: STDIN_FD, hasStdin: spec.stdin !== undefined, cwd: resolve(spec.cwd), env: spec.env, command, args: spec.args });
    const sleeve = entry.handOver(this.cold, { script, stdin: spec.stdin, cwd, writablePaths, limits: sandbox.limits });
    return new AnchoredSleeve(sleeve, () => {
      if (moveBack(moved).length === 0) entry.removeDir();
    });
  }

  private fallback(spec: SpawnSpec, reason: FallbackReason): Promise<Sleeve> {
    this.pool.countFallback(reason);
    return this.cold.spawn(spec);
  }

  /** An entry that was claimed but cannot run: its directories go back, the entry away. */
  private async release(entry: WarmEntry, moved: readonly MovedPath[]): Promise<void> {
    moveBack(moved);
    await entry.destroy();
  }

  /** Closes the pool (its idle sleeves are killed); running sleeves are not affected. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * A claimed warm sleeve: the sleeve itself, except that when it has ended (however it ended)
 * the task's directories are moved back before `exited` resolves.
 */
class AnchoredSleeve implements Sleeve {
  readonly pid: number;
  readonly lines: Sleeve['lines'];
  readonly exited: Promise<SleeveExit>;

  constructor(
    private readonly inner: Sleeve,
    restore: () => void,
  ) {
    this.pid = inner.pid;
    this.lines = inner.lines;
    this.exited = inner.exited.then((exit) => {
      try {
        restore();
      } catch {
        // moveBack never throws; removing the entry's emptied directory may (left for recovery)
      }
      return exit;
    });
  }

  suspend(): void {
    this.inner.suspend();
  }

  resume(): void {
    this.inner.resume();
  }

  stop(graceMs: number): Promise<SleeveExit> {
    return this.inner.stop(graceMs).then(() => this.exited);
  }
}
