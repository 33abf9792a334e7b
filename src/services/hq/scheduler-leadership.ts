import { randomBytes } from 'node:crypto';
import type { LeaderRole } from '../../core/leadership.js';
import type { HqDeps } from './hq-deps.js';
import { errorMessage } from './notify.js';

type LeadershipDeps = Pick<HqDeps, 'store' | 'clock' | 'logger' | 'config' | 'ids'>;

/** A new replica id: an `hq_` id plus a random suffix (ids from a deterministic generator, as in tests, still differ). */
export function newReplicaId(ids: HqDeps['ids']): string {
  return `${ids.newId('hq')}.${randomBytes(4).toString('hex')}`;
}

/**
 * This replica's view of one role (the scheduler) among the replicas that share a store. The
 * holder renews the role when a third of its time has passed; the others ask at most every
 * `checkEveryMs` (a read), so a dead holder is replaced after at most `schedulerLeaderTtlMs` plus
 * one check. The time counts from the start of a successful claim, on this replica's clock.
 */
export class Leadership {
  readonly holder: string;
  private heldUntil = 0;
  private renewedAt = Number.NEGATIVE_INFINITY;
  private nextCheckAt = 0;
  private term = 0;
  private leaderSeen: string | null = null;

  constructor(
    private readonly deps: LeadershipDeps,
    private readonly role: LeaderRole,
    holder?: string,
  ) {
    this.holder = holder ?? newReplicaId(deps.ids);
  }

  private get ttlMs(): number {
    return this.deps.config.schedulerLeaderTtlMs;
  }

  /** How often a replica that does not hold the role asks whether it can take it. */
  get checkEveryMs(): number {
    return Math.max(1, Math.min(this.deps.config.schedulerIntervalMs, Math.floor(this.ttlMs / 3)));
  }

  /** Whether this replica held the role at its last look (without asking the store). */
  get leading(): boolean {
    return this.deps.clock.nowMs() < this.heldUntil;
  }

  /** The replica that held the role at the last look, when known. */
  get leader(): string | null {
    return this.leaderSeen;
  }

  /** Ms until the next look is due (0: now). */
  msUntilCheck(): number {
    return Math.max(0, this.nextCheckAt - this.deps.clock.nowMs());
  }

  /**
   * Whether this replica may act in the role now, claiming or renewing it when that is due. A
   * store error keeps what is known: a holder keeps the role until its time runs out.
   */
  async ensure(): Promise<boolean> {
    const now = this.deps.clock.nowMs();
    const held = now < this.heldUntil;
    if (held && now - this.renewedAt < this.ttlMs / 3) return true;
    if (!held && now < this.nextCheckAt) return false;
    this.nextCheckAt = now + this.checkEveryMs;
    try {
      const seen = await this.deps.store.claimLeadership({ role: this.role, holder: this.holder, ttlMs: this.ttlMs, nowMs: now });
      this.leaderSeen = seen.holder;
      if (seen.leader) {
        if (!held) this.deps.logger.info({ role: this.role, holder: this.holder, term: seen.term }, `this replica now holds the ${this.role} role`);
        this.heldUntil = now + this.ttlMs;
        this.renewedAt = now;
        this.term = seen.term;
        return true;
      }
      if (held) this.deps.logger.warn({ role: this.role, holder: this.holder, leader: seen.holder, term: seen.term }, `this replica lost the ${this.role} role`);
      this.heldUntil = 0;
      return false;
    } catch (err) {
      this.deps.logger.warn({ role: this.role, err: errorMessage(err) }, `could not claim the ${this.role} role`);
      return this.deps.clock.nowMs() < this.heldUntil;
    }
  }

  /** Give the role up (shutdown), so that another replica takes it at once. */
  async release(): Promise<void> {
    if (this.heldUntil === 0) return;
    this.heldUntil = 0;
    try {
      await this.deps.store.releaseLeadership({ role: this.role, holder: this.holder, nowMs: this.deps.clock.nowMs() });
      this.deps.logger.info({ role: this.role, holder: this.holder, term: this.term }, `this replica gave the ${this.role} role up`);
    } catch (err) {
      this.deps.logger.warn({ role: this.role, err: errorMessage(err) }, `could not give the ${this.role} role up; it expires by itself`);
    }
  }
}
