import { mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '../../../core/ports/logger.js';
import { silentLogger } from '../../../core/ports/logger.js';
import type { BubblewrapRuntime } from '../bubblewrap/bubblewrap-runtime.js';
import { recoverPoolDir } from './re-anchor.js';
import { WarmEntry } from './warm-entry.js';
import { FALLBACK_REASONS, profileKey, type FallbackReason, type WarmProfile } from './warm-profile.js';

export interface WarmPoolOptions {
  /** Warm entries kept per profile (0 = the pool is off). */
  readonly size: number;
  /**
   * Host directories whose direct children are re-anchored into warm sleeves (a node's
   * `<workDir>/workspaces` and `<workDir>/homes`). Made if missing.
   */
  readonly anchors: readonly string[];
  /** Where the entries' slots live; must be on the anchors' filesystem (e.g. `<workDir>/warm-pool`). */
  readonly poolDir: string;
  /** Profiles warmed from the start (default: none; profiles are learned from spawns). */
  readonly profiles?: readonly WarmProfile[];
  /** At most this many profiles are kept warm; the least recently claimed one goes (default 4). */
  readonly maxProfiles?: number;
  /** First and longest wait before retrying after a failed start (default 200 ms / 30 s). */
  readonly backoffMs?: { readonly min: number; readonly max: number };
  readonly logger?: Logger;
}

export interface WarmPoolStats {
  readonly size: number;
  readonly profiles: number;
  readonly idle: number;
  readonly starting: number;
  readonly claims: number;
  readonly fallbacks: Readonly<Record<FallbackReason, number>>;
  readonly refillFailures: number;
  /** Directories moved back to their anchors when the pool started (left by a crashed node). */
  readonly recovered: number;
}

interface ProfileState {
  readonly profile: WarmProfile;
  readonly idle: WarmEntry[];
  starting: number;
  failures: number;
  retryTimer: NodeJS.Timeout | null;
  lastUsed: number;
}

/**
 * Keeps `size` started sandboxes per profile, so that a spawn takes one instead of building a
 * sandbox. Refills in the background, one start at a time per profile; after a failed start it
 * waits (doubling from `backoffMs.min` up to `max`) instead of retrying at once. The number of
 * profiles is capped; a spawn with an unknown profile goes cold once and warms that profile.
 */
export class WarmPool {
  private readonly states = new Map<string, ProfileState>();
  private readonly fallbacks = Object.fromEntries(FALLBACK_REASONS.map((r) => [r, 0])) as Record<FallbackReason, number>;
  private claims = 0;
  private refillFailures = 0;
  private recovered = 0;
  private closed = false;
  private started = false;
  private useCounter = 0;
  private readonly waiters: (() => void)[] = [];
  /** Starts in flight (close waits for them). */
  private readonly pending = new Set<Promise<void>>();
  private readonly logger: Logger;
  readonly anchors: readonly string[];
  readonly poolDir: string;
  /** st_dev of the pool directory: paths on another device cannot be renamed into it. */
  private device = -1;

  constructor(
    private readonly runtime: BubblewrapRuntime,
    private readonly options: WarmPoolOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.anchors = options.anchors.map((a) => resolve(a));
    this.poolDir = resolve(options.poolDir);
  }

  /**
   * Recovers what a crashed node left in the pool directory, checks that the anchors share its
   * filesystem, and starts filling. An anchor on another filesystem turns the pool off (every
   * spawn then goes cold) rather than failing the node.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.options.size <= 0) {
      this.closed = true;
      return;
    }
    mkdirSync(this.poolDir, { recursive: true, mode: 0o711 });
    for (const a of this.anchors) mkdirSync(a, { recursive: true, mode: 0o700 });
    const report = recoverPoolDir(this.poolDir);
    this.recovered = report.movedBack.length;
    if (report.movedBack.length > 0 || report.failed.length > 0) {
      this.logger.warn({ movedBack: report.movedBack, failed: report.failed }, 'warm pool: recovered workspaces left in slots');
    }
    this.device = statSync(this.poolDir).dev;
    const foreign = this.anchors.filter((a) => statSync(a).dev !== this.device);
    if (foreign.length > 0) {
      this.logger.warn({ poolDir: this.poolDir, anchors: foreign }, 'warm pool off: anchors on another filesystem than the pool directory');
      this.closed = true;
      return;
    }
    for (const p of this.options.profiles ?? []) this.ensureProfile(p);
  }

  /** Whether `path` is on the pool's filesystem. */
  sameDevice(path: string): boolean {
    try {
      return statSync(path).dev === this.device;
    } catch {
      return false;
    }
  }

  get isOpen(): boolean {
    return this.started && !this.closed;
  }

  countFallback(reason: FallbackReason): void {
    this.fallbacks[reason] += 1;
  }

  /**
   * A warm entry of `profile`, taken (single use), or the reason there is none. A profile seen
   * for the first time is warmed from now on. The refill starts after the caller has gone on.
   */
  take(profile: WarmProfile): WarmEntry | FallbackReason {
    if (!this.isOpen) return 'pool_closed';
    const key = profileKey(profile);
    const state = this.states.get(key);
    if (state === undefined) {
      this.ensureProfile(profile);
      return 'new_profile';
    }
    state.lastUsed = ++this.useCounter;
    let entry: WarmEntry | undefined;
    while ((entry = state.idle.shift()) !== undefined && !entry.usable) void entry.destroy();
    setImmediate(() => this.refill(key));
    if (entry === undefined) return 'no_idle_entry';
    entry.take();
    this.claims += 1;
    return entry;
  }

  /** Puts back an entry that was taken but not used (nothing was moved into it). */
  giveBack(entry: WarmEntry): void {
    this.claims -= 1;
    const state = this.states.get(entry.key);
    if (state === undefined || !this.isOpen) void entry.destroy();
    else void entry.destroy().then(() => this.refill(entry.key));
  }

  private ensureProfile(profile: WarmProfile): void {
    const key = profileKey(profile);
    if (this.states.has(key)) return;
    const max = Math.max(1, this.options.maxProfiles ?? 4);
    while (this.states.size >= max) {
      const [oldKey, old] = [...this.states.entries()].reduce((a, b) => (b[1].lastUsed < a[1].lastUsed ? b : a));
      this.states.delete(oldKey);
      if (old.retryTimer !== null) clearTimeout(old.retryTimer);
      for (const e of old.idle.splice(0)) void e.destroy();
    }
    this.states.set(key, { profile, idle: [], starting: 0, failures: 0, retryTimer: null, lastUsed: ++this.useCounter });
    setImmediate(() => this.refill(key));
  }

  /** Starts entries for `key` one after another until it has `size` (idle + starting). */
  private refill(key: string): void {
    const state = this.states.get(key);
    if (state === undefined || !this.isOpen || state.retryTimer !== null || state.starting > 0) return;
    if (state.idle.length >= this.options.size) {
      this.notifyIfFull();
      return;
    }
    state.starting += 1;
    const job: Promise<void> = WarmEntry.start(this.runtime, state.profile, key, this)
      .then(async (entry) => {
        state.starting -= 1;
        if (!this.isOpen || this.states.get(key) !== state) {
          await entry.destroy();
          return;
        }
        state.failures = 0;
        state.idle.push(entry);
        entry.onEarlyExit(() => {
          const i = state.idle.indexOf(entry);
          if (i >= 0) state.idle.splice(i, 1);
          void entry.destroy();
          this.logger.warn({ entry: entry.id }, 'warm pool: an idle sleeve ended by itself; replacing it');
          this.failed(key, state);
        });
        this.refill(key);
      })
      .catch((e: unknown) => {
        state.starting -= 1;
        this.refillFailures += 1;
        this.logger.warn({ error: (e as Error).message, failures: state.failures + 1 }, 'warm pool: cannot start a warm sleeve');
        this.failed(key, state);
      })
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  private failed(key: string, state: ProfileState): void {
    state.failures += 1;
    if (!this.isOpen || state.retryTimer !== null) return;
    const min = this.options.backoffMs?.min ?? 200;
    const max = this.options.backoffMs?.max ?? 30_000;
    const wait = Math.min(max, min * 2 ** Math.min(20, state.failures - 1));
    state.retryTimer = setTimeout(() => {
      state.retryTimer = null;
      this.refill(key);
    }, wait);
    state.retryTimer.unref();
  }

  private full(): boolean {
    return [...this.states.values()].every((s) => s.idle.length >= this.options.size);
  }

  private notifyIfFull(): void {
    if (!this.full()) return;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once every warm profile has `size` idle entries (or the pool is closed). */
  whenFull(): Promise<void> {
    if (!this.isOpen || this.full()) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  stats(): WarmPoolStats {
    const states = [...this.states.values()];
    return {
      size: this.options.size,
      profiles: states.length,
      idle: states.reduce((n, s) => n + s.idle.filter((e) => e.usable).length, 0),
      starting: states.reduce((n, s) => n + s.starting, 0),
      claims: this.claims,
      fallbacks: { ...this.fallbacks },
      refillFailures: this.refillFailures,
      recovered: this.recovered,
    };
  }

  /** Kills the idle entries and removes their cgroups and slots; later spawns go cold. */
  async close(): Promise<void> {
    this.closed = true;
    this.started = true;
    const entries: WarmEntry[] = [];
    for (const s of this.states.values()) {
      if (s.retryTimer !== null) clearTimeout(s.retryTimer);
      s.retryTimer = null;
      entries.push(...s.idle.splice(0));
    }
    this.states.clear();
    for (const w of this.waiters.splice(0)) w();
    await Promise.all(entries.map((e) => e.destroy()));
    // Starts still in flight destroy their entry when they finish (the pool is closed).
    await Promise.allSettled([...this.pending]);
  }
}
