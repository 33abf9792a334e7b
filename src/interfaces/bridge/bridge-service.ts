import { Code, ConnectError, createContextKey, type ConnectRouter, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { z } from 'zod';
import { PlanSchema } from '../../contract/step-plan-schemas.js';
import type { Principal } from '../../core/auth.js';
import { isCorticalError, type ErrorCode } from '../../core/errors.js';
import type { Plan } from '../../core/plan-steps.js';
import { silentLogger, type Logger } from '../../core/ports/logger.js';
import type { BridgeBackend } from '../../core/ports/bridge-backend.js';
import { Bridge, type Plan as ProtoPlan } from './gen/orchestrator_pb.js';

/**
 * The Connect implementation of `orchestrator.Bridge`: validates each request, hands it to the
 * `BridgeBackend` with the caller's principal, and maps results and errors back. The principal
 * is put into the call's context values (under `bridgePrincipalKey`) by the server's
 * authentication interceptor; a call without one is refused.
 */

/** Where the authenticated caller travels from the interceptor to the handlers. */
export const bridgePrincipalKey = createContextKey<Principal | null>(null, { description: 'cortical bridge principal' });

/** Response metadata (trailers in gRPC) that carries the `CorticalError` code of a failed call. */
export const ERROR_CODE_METADATA = 'cortical-error-code';
/** Response metadata with the error's details as JSON, when they are small enough to send. */
export const ERROR_DETAILS_METADATA = 'cortical-error-details';
const MAX_DETAILS_METADATA_BYTES = 4096;

/** The one mapping from `CorticalError` codes to gRPC / Connect status codes. */
export function connectCodeOf(code: ErrorCode): Code {
  switch (code) {
    case 'VALIDATION_FAILED':
      return Code.InvalidArgument;
    case 'NOT_FOUND':
    case 'TASK_NOT_FOUND':
    case 'NODE_NOT_FOUND':
    case 'TOKEN_NOT_FOUND':
      return Code.NotFound;
    case 'UNAUTHENTICATED':
    case 'TOKEN_EXPIRED':
    case 'JOIN_TOKEN_INVALID':
      return Code.Unauthenticated;
    case 'FORBIDDEN':
      return Code.PermissionDenied;
    case 'INVALID_TRANSITION':
    case 'CONFLICT':
    case 'KILLSWITCH_ON':
      return Code.FailedPrecondition;
    case 'LEASE_CONFLICT':
      return Code.Aborted;
    case 'UNAVAILABLE':
      return Code.Unavailable;
    case 'INTERNAL':
      return Code.Internal;
  }
}

/**
 * Any thrown value as a `ConnectError`. `CorticalError`s keep their message and travel with their
 * code in metadata; a `ConnectError` passes through; anything else is logged and becomes
 * `Internal` with a fixed message, so no stack or internal text reaches the caller.
 */
export function toConnectError(e: unknown, logger: Logger, method: string): ConnectError {
  if (e instanceof ConnectError) return e;
  if (isCorticalError(e)) {
    const code = connectCodeOf(e.code);
    if (code === Code.Internal || code === Code.Unavailable) {
      logger.error({ method, code: e.code, err: e.message }, 'bridge call failed');
    }
    const metadata = new Headers({ [ERROR_CODE_METADATA]: e.code });
    const details = detailsJson(e.details);
    if (details !== null) metadata.set(ERROR_DETAILS_METADATA, details);
    return new ConnectError(e.message, code, metadata);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  logger.error({ method, err: err.message, stack: err.stack }, 'bridge call failed: unhandled error');
  return new ConnectError('internal error', Code.Internal, { [ERROR_CODE_METADATA]: 'INTERNAL' });
}

function detailsJson(details: Readonly<Record<string, unknown>>): string | null {
  if (Object.keys(details).length === 0) return null;
  try {
    const json = JSON.stringify(details);
    // Header values must be printable ASCII; JSON escapes are, raw non-ASCII text is not.
    const ascii = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return ascii.length <= MAX_DETAILS_METADATA_BYTES ? ascii : null;
  } catch {
    return null;
  }
}

const ID_MAX_CHARS = 200;
const idSchema = (field: string) =>
  z
    .string()
    .min(1, `${field} is required`)
    .max(ID_MAX_CHARS, `${field} is at most ${ID_MAX_CHARS} characters`)
    .regex(/^[\x21-\x7e]*$/, `${field} is printable ASCII without spaces`);

const RUN_ID = idSchema('run_id');
const SNAPSHOT_ID = idSchema('snapshot_id');
const LABEL = z
  .string()
  .max(ID_MAX_CHARS, `label is at most ${ID_MAX_CHARS} characters`)
  .regex(/^[^\p{Cc}]*$/u, 'label has no control characters');
const TRIPCODE_MAX_CHARS = 4096;
const TRIPCODE_PAYLOAD = z
  .string()
  .min(1, 'payload is required: a tripcode is ts|code|sig')
  .max(TRIPCODE_MAX_CHARS, `payload is at most ${TRIPCODE_MAX_CHARS} characters`)
  .refine((p) => p.split('|').length === 3 && p.split('|').every((part) => part !== ''), 'payload is ts|code|sig: three non-empty parts separated by |');

function describeIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const at = i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}${acc === '' ? '' : '.'}${String(p)}`), prefix);
      return at === '' ? i.message : `${at}: ${i.message}`;
    })
    .join('; ');
}

function parse<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ConnectError(`invalid request: ${describeIssues(r.error, prefix)}`, Code.InvalidArgument);
  return r.data;
}

/** The request's plan as the core `Plan`; a missing or invalid plan is `InvalidArgument`. */
export function planFromProto(plan: ProtoPlan | undefined): Plan {
  if (plan === undefined) throw new ConnectError('invalid request: plan is required', Code.InvalidArgument);
  const candidate = { intent: plan.intent, steps: plan.steps.map((s) => ({ tool: s.tool, args: { ...s.args } })) };
  return parse(PlanSchema, candidate, 'plan');
}

function principalOf(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(bridgePrincipalKey);
  if (principal === null) throw new ConnectError('not authenticated: send authorization: Bearer <token>', Code.Unauthenticated);
  return principal;
}

/** The `orchestrator.Bridge` handlers over `backend`. */
export function createBridgeService(backend: BridgeBackend, logger: Logger = silentLogger): ServiceImpl<typeof Bridge> {
  async function guarded<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toConnectError(e, logger, method);
    }
  }

  return {
    simulate: (req, ctx) =>
      guarded('Simulate', async () => {
        const principal = principalOf(ctx);
        const r = await backend.simulate(planFromProto(req.plan), principal);
        return { ok: r.ok, diffs: [...r.diffs], report: r.report };
      }),
    snapshot: (req, ctx) =>
      guarded('Snapshot', async () => {
        const principal = principalOf(ctx);
        const r = await backend.snapshot(parse(LABEL, req.label), principal);
        return { ok: r.ok, snapshotId: r.snapshotId };
      }),
    apply: (req, ctx) =>
      guarded('Apply', async () => {
        const principal = principalOf(ctx);
        const plan = planFromProto(req.plan);
        const snapshotId = req.snapshotId === '' ? null : parse(SNAPSHOT_ID, req.snapshotId);
        const r = await backend.apply(plan, snapshotId, principal);
        return { ok: r.ok, runId: r.runId, logs: [...r.logs] };
      }),
    verify: (req, ctx) =>
      guarded('Verify', async () => {
        const principal = principalOf(ctx);
        const r = await backend.verify(parse(RUN_ID, req.runId), principal);
        return { ok: r.ok, checks: [...r.checks] };
      }),
    promote: (req, ctx) =>
      guarded('Promote', async () => {
        const principal = principalOf(ctx);
        const r = await backend.promote(parse(RUN_ID, req.runId), principal);
        return { ok: r.ok };
      }),
    rollback: (req, ctx) =>
      guarded('Rollback', async () => {
        const principal = principalOf(ctx);
        const r = await backend.rollback(parse(SNAPSHOT_ID, req.snapshotId), principal);
        return { ok: r.ok };
      }),
    tripcode: (req, ctx) =>
      guarded('Tripcode', async () => {
        const principal = principalOf(ctx);
        const r = await backend.tripcode(parse(TRIPCODE_PAYLOAD, req.payload), principal);
        return { ok: r.ok, code: r.code, detail: r.detail };
      }),
  };
}

/** Registers `orchestrator.Bridge` on a Connect router. */
export function registerBridgeService(router: ConnectRouter, backend: BridgeBackend, logger: Logger = silentLogger): void {
  router.service(Bridge, createBridgeService(backend, logger));
}
