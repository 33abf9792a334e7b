/** The API contract for nodes, leases, tokens and the kill switch. */
import { z } from 'zod';
import { LOG_STREAMS } from '../core/ports/store.js';
import { ROLES, TOKEN_KINDS, USER_ROLES } from '../core/auth.js';
import { NODE_LIVENESS, NODE_SCHEDULING } from '../core/node.js';
import { REASON_CODES, TASK_DESIRES } from '../core/task.js';
import { NodeCommandSchema } from './node-command-schemas.js';
import { GuidanceSchema, TaskSchema, TaskUsageSchema } from './task-schemas.js';
import { GUIDANCE_DELIVERIES } from '../core/ports/agent-driver.js';
import { WorkspaceDiffSchema } from './diff-schemas.js';

const capability = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'capability: lowercase letters, digits, . _ - (max 63)');

export const NodeResourcesSchema = z.object({
  cpuCount: z.number().int().nonnegative(),
  loadAvg1: z.number().nonnegative(),
  memTotalMb: z.number().nonnegative(),
  memFreeMb: z.number().nonnegative(),
});

export const NodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  capabilities: z.array(z.string()),
  slots: z.number().int(),
  activeLeases: z.number().int(),
  freeSlots: z.number().int(),
  liveness: z.enum(NODE_LIVENESS),
  scheduling: z.enum(NODE_SCHEDULING),
  state: z.enum(['ready', 'lost', 'cordoned', 'draining', 'drained']),
  resources: NodeResourcesSchema,
  version: z.string(),
  joinedAt: z.number(),
  lastHeartbeatAt: z.number(),
});
export type NodeDto = z.infer<typeof NodeSchema>;

export const NodeListQuery = z.strictObject({
  state: z.string().optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const NodeJoinRequest = z.strictObject({
  joinToken: z.string().min(1, 'joinToken is required'),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'name: letters, digits, . _ - (max 63)'),
  capabilities: z.array(capability).max(64).default([]),
  slots: z.number().int().min(1).max(1024).default(1),
  resources: NodeResourcesSchema,
  version: z.string().max(64).default('unknown'),
});

export const NodeCredentialSchema = z.object({
  nodeId: z.string(),
  /** Short-lived bearer credential for node calls. */
  accessToken: z.string(),
  accessExpiresAt: z.number(),
  /** Long-lived secret that only buys new access tokens; rotated on every use. */
  refreshToken: z.string(),
  leaseTtlMs: z.number().int().positive(),
  heartbeatIntervalMs: z.number().int().positive(),
});
export type NodeCredential = z.infer<typeof NodeCredentialSchema>;

export const NodeRefreshRequest = z.strictObject({ refreshToken: z.string().min(1) });

export const HeartbeatRequest = z.strictObject({
  resources: NodeResourcesSchema,
  capabilities: z.array(capability).max(64).optional(),
  slots: z.number().int().min(1).max(1024).optional(),
  version: z.string().max(64).optional(),
});

export const HeartbeatResponse = z.object({
  node: NodeSchema,
  killSwitch: z.boolean(),
  /** The fleet lockdown: while on, every T2 and T3 tool call is refused (absent from older HQs: off). */
  lockdown: z.boolean().default(false),
  /** Every task leased to this node (new assignments included). */
  leases: z.array(TaskSchema),
  /** Pending workspace commands for this node (snapshot, revert, list), oldest first, bounded. */
  commands: z.array(NodeCommandSchema).default([]),
});

const fencingToken = z.number().int().positive();

export const LeaseStartRequest = z.strictObject({
  fencingToken,
  workspacePath: z.string().min(1).max(4096),
});

export const LeaseRenewRequest = z.strictObject({ fencingToken });

/** A lease-scoped credential for a task's sleeves (≤ 15 minutes, renewed with the lease). */
export const TaskCredentialSchema = z.object({
    token: z.string().describe('Send as Authorization: Bearer <token>; valid while the lease lives'),
    expiresAt: z.number().describe('Epoch ms'),
  });

export const LeaseRenewResponse = z.object({
  task: TaskSchema,
  leaseExpiresAt: z.number(),
  desired: z.enum(TASK_DESIRES),
  pendingGuidance: z.array(GuidanceSchema),
  killSwitch: z.boolean(),
  credential: TaskCredentialSchema.optional(),
});

export const LeaseCredentialRequest = z.strictObject({ fencingToken });

export const LeaseProgressRequest = z.strictObject({
  fencingToken,
  iterations: z
    .array(
      z.strictObject({
        iteration: z.number().int().nonnegative(),
        kind: z.enum(['started', 'finished', 'usage', 'snapshot', 'agent', 'revert']),
        at: z.number(),
        /** `diff` (with `finished`): the iteration's workspace diff; null when it could not be computed. */
        data: z.looseObject({ diff: WorkspaceDiffSchema.nullable().optional() }),
      }),
    )
    .max(1000)
    .default([]),
  logs: z
    .array(
      z.strictObject({
        attempt: z.number().int().nonnegative(),
        iteration: z.number().int().nonnegative(),
        stream: z.enum(LOG_STREAMS),
        at: z.number(),
        text: z.string().max(65_536),
      }),
    )
    .max(5000)
    .default([]),
  usage: TaskUsageSchema.optional(),
  runtimeMs: z.number().int().nonnegative().optional(),
  observed: z.enum(['running', 'paused']).optional(),
  pauseReason: z.enum(REASON_CODES).optional(),
  pauseMessage: z.string().max(2000).optional(),
  guidanceDeliveredSeq: z.number().int().nonnegative().optional(),
  /** How each guidance was delivered (newer nodes). */
  guidanceDeliveries: z
    .array(z.strictObject({ seq: z.number().int().positive(), mode: z.enum(GUIDANCE_DELIVERIES) }))
    .max(1000)
    .optional(),
});

export const LeaseCompleteRequest = z.strictObject({
  fencingToken,
  outcome: z.enum(['succeeded', 'failed', 'cancelled', 'requeue']),
  reason: z.enum(REASON_CODES),
  message: z.string().max(4000).nullable().default(null),
  usage: TaskUsageSchema.optional(),
  runtimeMs: z.number().int().nonnegative().optional(),
});

export const KillSwitchSchema = z.object({
  on: z.boolean(),
  reason: z.string().nullable(),
  changedAt: z.number().nullable(),
  changedBy: z.string().nullable(),
});

export const KillSwitchPutRequest = z.strictObject({
  on: z.boolean(),
  reason: z.string().max(500).nullable().default(null),
});

export const TokenCreateRequest = z.strictObject({
  /** `node` creates a join token; the others create API tokens. */
  role: z.enum(ROLES),
  /** Lifetime; null = no expiry (join tokens default to 24 h). */
  ttlMs: z.number().int().positive().nullable().optional(),
  label: z.string().max(200).nullable().default(null),
  /** Join tokens only: consumed by the first join. Default false (reusable until expiry). */
  singleUse: z.boolean().default(false),
});

export const TokenCreateResponse = z.object({
  id: z.string(),
  kind: z.enum(['api', 'join']),
  role: z.enum(ROLES),
  /** The secret, shown once. */
  token: z.string(),
  expiresAt: z.number().nullable(),
  singleUse: z.boolean(),
});

export const TokenListQuery = z.strictObject({
  /** Comma-separated kinds (api, join, node_access, node_refresh); default api,join. */
  kind: z
    .string()
    .optional()
    .refine((v) => v === undefined || v.split(',').every((k) => (TOKEN_KINDS as readonly string[]).includes(k.trim())), {
      message: `kind: a comma-separated list of ${TOKEN_KINDS.join(', ')}`,
    }),
  /** `true`: revoked, expired and used tokens too; default only the active ones. */
  all: z.enum(['true', 'false']).optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** A token's metadata (never its secret or hash). */
export const TokenSchema = z.object({
  id: z.string(),
  kind: z.enum(TOKEN_KINDS),
  role: z.enum(ROLES),
  label: z.string().nullable(),
  nodeId: z.string().nullable(),
  createdAt: z.number(),
  expiresAt: z.number().nullable(),
  singleUse: z.boolean(),
  usedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
  /** active, or why it no longer authenticates: revoked, expired, used (a single-use join token). */
  state: z.enum(['active', 'revoked', 'expired', 'used']),
});
export type TokenDto = z.infer<typeof TokenSchema>;

export const TokenIdParam = z.object({ id: z.string().regex(/^tok_[0-9a-z]{1,64}$/, 'id: a token id (tok_…)') });

export const StatusResponse = z.object({
  version: z.string(),
  killSwitch: KillSwitchSchema,
  tasks: z.record(z.string(), z.number()),
  nodes: z.object({ total: z.number(), ready: z.number(), lost: z.number(), freeSlots: z.number() }),
  /** Tasks that ended and spend of the current UTC day. */
  today: z.object({
    date: z.string(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
    usd: z.number(),
    tokens: z.number().int(),
  }),
  /** Dollars spent in the last 60 minutes (from the hourly roll-up). */
  burnRateUsdPerHour: z.number(),
  /** The scheduler election among HQ replicas that share a store (one replica schedules). */
  scheduler: z.object({
    /** The id of the replica that answered. */
    replica: z.string(),
    /** The replica that holds the scheduler role now; null when none does (it is being taken over). */
    leader: z.string().nullable(),
    /** Whether the answering replica schedules. */
    leading: z.boolean(),
    /** How many times the role has changed hands. */
    term: z.number().int(),
  }),
});

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export { USER_ROLES };
