/**
 * Node commands: work HQ asks a node to do on a task's workspace, which lives on the node
 * (snapshot, revert, list snapshots). HQ queues them; the node receives pending ones with its
 * heartbeat, runs them and reports each result. Pure types.
 */
export const NODE_COMMAND_KINDS = ['snapshot', 'revert', 'list_snapshots'] as const;
export type NodeCommandKind = (typeof NODE_COMMAND_KINDS)[number];

/** queued → sent (delivered in a heartbeat) → done | failed. */
export const NODE_COMMAND_STATES = ['queued', 'sent', 'done', 'failed'] as const;
export type NodeCommandState = (typeof NODE_COMMAND_STATES)[number];

export function isFinishedCommand(state: NodeCommandState): boolean {
  return state === 'done' || state === 'failed';
}

export interface NodeCommand {
  readonly id: string;
  readonly nodeId: string;
  readonly taskId: string;
  readonly kind: NodeCommandKind;
  /** snapshot: `{label}`; revert: `{snapshotId}`; list_snapshots: `{}`. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly state: NodeCommandState;
  /** What the node reported (kind-specific, see the contract); null until done. */
  readonly result: Readonly<Record<string, unknown>> | null;
  /** Why it failed; null unless failed. */
  readonly error: string | null;
  /** Who asked (`user:<tokenId>` …). */
  readonly actor: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** How many pending commands one heartbeat carries at most. */
export const MAX_COMMANDS_PER_HEARTBEAT = 20;

/** Snapshot tiers: T2 and above snapshot the workspace before every iteration. */
export const TASK_TIERS = ['T0', 'T1', 'T2', 'T3'] as const;
export type TaskTier = (typeof TASK_TIERS)[number];

export function snapshotsBeforeIteration(tier: TaskTier | undefined): boolean {
  return tier === 'T2' || tier === 'T3';
}
