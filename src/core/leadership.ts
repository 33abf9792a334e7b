/**
 * Leadership of one role among HQ replicas (the scheduler): a row in the store held by one
 * replica until `expiresAt` unless it renews it. Leadership only saves work: every write it
 * leads to (a scheduling commit) is re-checked in its own transaction, so two replicas that
 * both believe they lead (a clock jump, a paused process) cost conflicts, never a bad lease.
 */
export const LEADER_ROLES = ['scheduler'] as const;
export type LeaderRole = (typeof LEADER_ROLES)[number];

export interface Leadership {
  readonly role: LeaderRole;
  /** The replica holding the role (its holder id), or null when nobody ever held it. */
  readonly holder: string | null;
  /** Whether the asking replica holds the role now. */
  readonly leader: boolean;
  /** Increases by one every time the role changes hands. */
  readonly term: number;
  /** Epoch ms until which `holder` holds the role (0 when nobody ever held it). */
  readonly expiresAt: number;
}

export interface LeadershipClaim {
  readonly role: LeaderRole;
  readonly holder: string;
  readonly ttlMs: number;
  readonly nowMs: number;
}
