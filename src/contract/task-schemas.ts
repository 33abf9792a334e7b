/**
 * The API contract for tasks: zod schemas shared by the HQ API (validation, OpenAPI), the CLI,
 * the node's HQ client and, later, the web UI. Pure: no I/O.
 */
import { z } from 'zod';
import { LOG_STREAMS } from '../core/ports/store.js';
import { NETWORK_MODES } from '../core/sandbox.js';
import { TASK_TIERS } from '../core/node-command.js';
import { LOOP_MODES, REASON_CODES, TASK_DESIRES, TASK_STATES } from '../core/task.js';
import { GUIDANCE_DELIVERIES } from '../core/ports/agent-driver.js';

const capability = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'capability: lowercase letters, digits, . _ - (max 63)');

const positiveInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

/**
 * An egress allowlist entry: `host` (ports 80 and 443), `host:port`, `*.example.com` (subdomains),
 * an IPv4 literal or a bracketed IPv6 literal, optionally with `:port`. Lowercase.
 */
export const AllowEntry = z
  .string()
  .max(260)
  .regex(
    /^(?:(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::[1-9][0-9]{0,4})?$/,
    'allow entry: host, host:port, *.domain or an IP literal (lowercase)',
  );

export const AgentName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'agent: a driver name such as claude, codex, gemini, opencode, aider, builtin, shell or script');
export const ModelName = z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/, 'model: a model id such as claude-sonnet-4-5 or gpt-5 (letters, digits and . _ : / @ + -)');
export const ProjectName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'project: lowercase letters, digits, . _ - (up to 63, starting with a letter or digit)');

/** Why `name` is not a usable branch name (git's ref-name rules, and not a task branch), or null. */
export function branchNameProblem(name: string): string | null {
  if (name === '' || name.length > 255) return 'a branch name is 1 to 255 characters';
  if ([...name].some((ch) => ch <= ' ' || ch === '\u007f') || /[~^:?*[\\]/.test(name)) return 'a branch name has no spaces, control characters or any of ~ ^ : ? * [ \\';
  if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return 'a branch name does not start with - or /, nor end with / or .';
  if (name.includes('..') || name.includes('//') || name.includes('@{') || name === '@') return 'a branch name has no .., //, @{ and is not @';
  if (name.split('/').some((c) => c.startsWith('.') || c.endsWith('.lock'))) return 'no part of a branch name starts with . or ends with .lock';
  if (name.startsWith('refs/')) return 'give the branch name without refs/heads/ (e.g. main)';
  if (name === 'cortical' || name.startsWith('cortical/')) return 'cortical/… branches are task branches; promote to another branch (e.g. main)';
  return null;
}

export const MAX_PIPELINE_CHECKS = 50;

/** A check VERIFY runs on the merged result: a shell command, exit 0 = passed. */
export const TaskPipelineCheckSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'check name: letters, digits, . _ - (up to 100, starting with a letter or digit)'),
  command: z.string().min(1, 'a check command must not be empty').max(10_000, 'a check command is at most 10000 characters'),
  timeoutMs: positiveInt.max(3_600_000, 'a check timeout is at most 1 hour (3600000 ms)').optional(),
});

/** The task's pipeline: after success, `cortical/<taskId>` is verified and promoted onto `targetBranch`. */
export const TaskPipelineRequest = z
  .strictObject({
    targetBranch: z.string().superRefine((b, ctx) => {
      const problem = branchNameProblem(b);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: `targetBranch ${JSON.stringify(b.slice(0, 100))}: ${problem}` });
    }),
    checks: z.array(TaskPipelineCheckSchema).max(MAX_PIPELINE_CHECKS, `at most ${MAX_PIPELINE_CHECKS} pipeline checks`).default([]),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.checks.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['checks', i, 'name'], message: `check name '${c.name}' is used twice; names must be unique` });
      seen.add(c.name);
    });
  });

export const TaskCreateRequest = z.strictObject({
  prompt: z.string().min(1, 'prompt must not be empty').max(200_000),
  agent: AgentName.default('shell'),
  mode: z.enum(LOOP_MODES).default('once'),
  requires: z.array(capability).max(64).default([]),
  repo: z
    .strictObject({
      path: z.string().min(1).max(4096),
      baseRef: z.string().min(1).max(255).nullable().default(null),
    })
    .nullable()
    .default(null),
  until: z.string().min(1).max(10_000).nullable().default(null),
  /** Defaults: 1 for `once`, 25 for `loop`. null = unlimited. */
  maxIterations: positiveInt.max(1_000_000).nullable().optional(),
  timeoutMs: positiveInt.nullable().default(null),
  iterationTimeoutMs: positiveInt.nullable().default(null),
  budgetTokens: positiveInt.nullable().default(null),
  budgetUsd: z.number().positive().nullable().default(null),
  stuckAfterIterations: positiveInt.max(1000).nullable().default(null),
  priority: z.number().int().min(-1000).max(1000).default(0),
  maxAttempts: positiveInt.max(100).default(3),
  retryBackoffMs: nonNegInt.max(3_600_000).default(1000),
  labels: z.record(z.string().min(1).max(63), z.string().max(255)).default({}),
  /** Sleeve network: `none` (default: loopback only), `allowlist` (only `allow`, via the node's proxy), `open`. */
  network: z.enum(NETWORK_MODES).optional(),
  /** Egress allowlist; non-empty implies `network: allowlist`. */
  allow: z.array(AllowEntry).max(256).default([]),
  memoryMb: positiveInt.max(1_048_576).nullable().optional(),
  cpuPercent: positiveInt.max(100_000).nullable().optional(),
  maxProcesses: positiveInt.max(1_000_000).nullable().optional(),
  maxFileSizeMb: positiveInt.max(1_048_576).nullable().optional(),
  maxOpenFiles: positiveInt.max(1_048_576).nullable().optional(),
  diskQuotaMb: positiveInt.max(1_048_576 * 16).nullable().optional(),
  /** Risk tier T0..T3; T2 and above snapshot the workspace before every iteration. */
  tier: z.enum(TASK_TIERS).optional(),
  /** Project the task's usage counts against (budgets per project and day). */
  project: ProjectName.default('default'),
  /** The model the agent should use; null = the node's default for the agent's endpoint. */
  model: ModelName.nullable().default(null),
  /** Agents (and models) to go on with after a rate-limited iteration, in order. */
  fallbacks: z.array(z.strictObject({ agent: AgentName, model: ModelName.nullable().default(null) })).max(5).default([]),
  /** Put the task's branch through the safety pipeline when it succeeds: verify, then fast-forward `targetBranch`. Needs `repo`. */
  pipeline: TaskPipelineRequest.optional(),
}).superRefine((req, ctx) => {
  if (req.pipeline !== undefined && req.repo === null) {
    ctx.addIssue({ code: 'custom', path: ['pipeline'], message: 'pipeline needs repo: the task branch cortical/<taskId> of a repository is what gets promoted' });
  }
  const mode = req.network ?? (req.allow.length > 0 ? 'allowlist' : 'none');
  if (mode === 'allowlist' && req.allow.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['allow'], message: 'network allowlist needs at least one allow entry (host or host:port)' });
  }
  if (mode !== 'allowlist' && req.allow.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['allow'], message: `allow entries need network 'allowlist', not '${mode}'` });
  }
});
export type TaskCreateRequest = z.input<typeof TaskCreateRequest>;
export type TaskCreateParsed = z.output<typeof TaskCreateRequest>;

export const DEFAULT_LOOP_MAX_ITERATIONS = 25;

export const TaskUsageSchema = z.object({
  iterations: nonNegInt,
  tokensIn: nonNegInt,
  tokensOut: nonNegInt,
  usd: z.number().nonnegative(),
});

export const GuardrailLimitsSchema = z.object({
  maxIterations: positiveInt.nullable(),
  timeoutMs: positiveInt.nullable(),
  iterationTimeoutMs: positiveInt.nullable(),
  budgetTokens: positiveInt.nullable(),
  budgetUsd: z.number().positive().nullable(),
  stuckAfterIterations: positiveInt.nullable(),
});

export const TaskSpecSchema = z.object({
  prompt: z.string(),
  agent: z.string(),
  mode: z.enum(LOOP_MODES),
  requires: z.array(z.string()),
  repo: z.object({ path: z.string(), baseRef: z.string().nullable() }).nullable(),
  until: z.string().nullable(),
  guardrails: GuardrailLimitsSchema,
  priority: z.number().int(),
  maxAttempts: positiveInt,
  retryBackoffMs: nonNegInt,
  labels: z.record(z.string(), z.string()),
  tier: z.enum(TASK_TIERS).optional(),
  project: z.string().optional(),
  model: z.string().nullable().optional(),
  fallbacks: z.array(z.object({ agent: z.string(), model: z.string().nullable() })).optional(),
  pipeline: z
    .object({
      targetBranch: z.string(),
      checks: z.array(z.object({ name: z.string(), command: z.string(), timeoutMs: positiveInt.optional() })),
    })
    .optional(),
  sandbox: z
    .object({
      network: z.object({ mode: z.enum(NETWORK_MODES), allow: z.array(z.string()) }),
      limits: z.object({
        memoryMb: positiveInt.nullable(),
        cpuPercent: positiveInt.nullable(),
        maxProcesses: positiveInt.nullable(),
        maxFileSizeMb: positiveInt.nullable(),
        maxOpenFiles: positiveInt.nullable(),
        diskQuotaMb: positiveInt.nullable(),
      }),
    })
    .optional(),
});

export const TaskSchema = z.object({
  id: z.string(),
  spec: TaskSpecSchema,
  state: z.enum(TASK_STATES),
  reason: z.enum(REASON_CODES).nullable(),
  message: z.string().nullable(),
  desired: z.enum(TASK_DESIRES),
  attempts: nonNegInt,
  fencingToken: nonNegInt,
  nodeId: z.string().nullable(),
  leaseExpiresAt: z.number().nullable(),
  notBefore: z.number(),
  usage: TaskUsageSchema,
  runtimeMs: nonNegInt,
  workspacePath: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
});
export type TaskDto = z.infer<typeof TaskSchema>;

export const TaskListQuery = z.strictObject({
  state: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return undefined;
      const parts = s.split(',');
      for (const p of parts) {
        if (!(TASK_STATES as readonly string[]).includes(p)) {
          ctx.addIssue({ code: 'custom', message: `unknown state '${p}'; accepted: ${TASK_STATES.join(', ')}` });
          return z.NEVER;
        }
      }
      return parts as (typeof TASK_STATES)[number][];
    }),
  node: z.string().optional(),
  agent: z.string().optional(),
  /** Only tasks of this project. */
  project: ProjectName.optional(),
  /** Case-insensitive text search in the task's id and prompt. */
  q: z.string().max(200, 'q: at most 200 characters').optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

export const TaskGuideRequest = z.strictObject({
  text: z.string().min(1, 'guidance text must not be empty').max(20_000),
});

export const TaskPauseRequest = z.strictObject({
  /** Suspend the running iteration at once instead of pausing between iterations. */
  now: z.boolean().default(false),
});

export const GuidanceSchema = z.object({
  taskId: z.string(),
  seq: positiveInt,
  text: z.string(),
  createdAt: z.number(),
  actor: z.string(),
  deliveredAt: z.number().nullable(),
  /** How it reached the agent: live input, interrupt and resume, or the next iteration's prompt. */
  deliveryMode: z.enum(GUIDANCE_DELIVERIES).nullable().optional(),
});

export const LogLineSchema = z.object({
  taskId: z.string(),
  seq: positiveInt,
  attempt: nonNegInt,
  iteration: nonNegInt,
  stream: z.enum(LOG_STREAMS),
  at: z.number(),
  text: z.string(),
});

export const EventSchema = z.object({
  seq: positiveInt,
  at: z.number(),
  type: z.string(),
  taskId: z.string().nullable(),
  nodeId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export const AfterQuery = z.strictObject({
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/**
 * A list read after a sequence number (task events, task logs): pass `nextAfter` back as `after`
 * to continue; it is the last item's seq, or the requested `after` when the list is empty.
 */
export function afterPageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextAfter: z.number().int().nonnegative() });
}

export const TaskResleeveRequest = z.strictObject({
  agent: AgentName,
  /** null or absent: the node's default model for the new agent's endpoint. */
  model: ModelName.nullable().default(null),
});
