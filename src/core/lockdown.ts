/**
 * The fleet lockdown (tripcode `RECOVERY:LOCKDOWN`): the kill switch is turned on and, until the
 * lockdown is lifted, every T2 and T3 tool call, plan step and pipeline is denied fleet-wide.
 */
export interface Lockdown {
  readonly on: boolean;
  readonly reason: string | null;
  readonly changedAt: number | null;
  readonly changedBy: string | null;
}
