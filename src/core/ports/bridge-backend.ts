import type { Principal } from '../auth.js';
import type { Plan } from '../plan-steps.js';

/**
 * What the Bridge API (gRPC service `orchestrator.Bridge`, `proto/orchestrator.proto`) asks of
 * the control plane. Plain TypeScript: no generated protobuf types cross this line. The Bridge
 * service validates every request before it gets here (plans through `PlanSchema`, ids non-empty)
 * and maps the results back onto the response messages field by field.
 *
 * Every method gets the authenticated caller; permission checks are the backend's. Errors are
 * `CorticalError`s: their codes become gRPC status codes (`docs/bridge.md`).
 */
export interface BridgeBackend {
  /** Dry-run a plan: what it would change, and a report. Changes nothing. */
  simulate(plan: Plan, principal: Principal): Promise<SimulateResult>;
  /** Take a snapshot that a later `apply` can name and `rollback` can restore. */
  snapshot(label: string, principal: Principal): Promise<SnapshotResult>;
  /** Run a plan; `snapshotId` is the snapshot taken for it, or null when none was. */
  apply(plan: Plan, snapshotId: string | null, principal: Principal): Promise<ApplyResult>;
  /** Check the outcome of an applied run. */
  verify(runId: string, principal: Principal): Promise<VerifyResult>;
  /** Promote a verified run. */
  promote(runId: string, principal: Principal): Promise<PromoteResult>;
  /** Restore a snapshot. */
  rollback(snapshotId: string, principal: Principal): Promise<RollbackResult>;
  /** Check a tripcode (`ts|code|sig`) and act on it. */
  tripcode(payload: string, principal: Principal): Promise<TripcodeResult>;
}

/** Mirrors `SimulateRes`. */
export interface SimulateResult {
  readonly ok: boolean;
  readonly diffs: readonly string[];
  readonly report: string;
}

/** Mirrors `SnapshotRes`. */
export interface SnapshotResult {
  readonly ok: boolean;
  readonly snapshotId: string;
}

/** Mirrors `ApplyRes`. */
export interface ApplyResult {
  readonly ok: boolean;
  readonly runId: string;
  readonly logs: readonly string[];
}

/** Mirrors `VerifyRes`. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly checks: readonly string[];
}

/** Mirrors `PromoteRes`. */
export interface PromoteResult {
  readonly ok: boolean;
}

/** Mirrors `RollbackRes`. */
export interface RollbackResult {
  readonly ok: boolean;
}

/** Mirrors `TripcodeRes`. */
export interface TripcodeResult {
  readonly ok: boolean;
  readonly code: string;
  readonly detail: string;
}
