import type { z } from 'zod';
import {
  ErrorResponse,
  HeartbeatResponse,
  LeaseRenewResponse,
  NodeCredentialSchema,
  TaskCredentialSchema,
  type NodeDto,
} from '../../../contract/node-schemas.js';
import { NodeCommandSchema } from '../../../contract/node-command-schemas.js';
import { routes } from '../../../contract/routes.js';
import { TaskSchema } from '../../../contract/task-schemas.js';
import { CorticalError, ERROR_CODES, type ErrorCode } from '../../../core/errors.js';
import type { FleetNode } from '../../../core/node.js';
import type { HqLink, NodeIdentity, TaskCredential } from '../../../core/ports/hq-link.js';
import type { Task } from '../../../core/task.js';

export interface HttpHqLinkOptions {
  /** HQ's base URL, e.g. `http://127.0.0.1:7070`. */
  readonly baseUrl: string;
  /** Per-request time limit. */
  readonly requestTimeoutMs?: number;
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  readonly version?: string;
}

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

function unavailable(message: string, details: Record<string, unknown> = {}): CorticalError {
  return new CorticalError('UNAVAILABLE', message, details, true);
}

function toFleetNode(n: NodeDto): FleetNode {
  return {
    id: n.id,
    name: n.name,
    capabilities: n.capabilities,
    slots: n.slots,
    activeLeases: n.activeLeases,
    liveness: n.liveness,
    scheduling: n.scheduling,
    resources: n.resources,
    version: n.version,
    joinedAt: n.joinedAt,
    lastHeartbeatAt: n.lastHeartbeatAt,
  };
}

/**
 * HqLink over HQ's REST API (src/contract). Node calls carry `Authorization: Bearer <access
 * token>`; join and credential refresh carry their tokens in the body. HTTP errors come back as
 * CorticalErrors with the code from the `{error:{code,message}}` body; network failures,
 * timeouts and 5xx become `UNAVAILABLE` (retryable).
 */
export class HttpHqLink implements HqLink {
  private identity: NodeIdentity | null = null;
  private readonly baseUrl: string;
  private readonly requestTimeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly version: string | undefined;

  constructor(options: HttpHqLinkOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.fetchFn = options.fetch ?? fetch;
    this.version = options.version;
  }

  setIdentity(identity: NodeIdentity): void {
    this.identity = identity;
  }

  async join(input: Parameters<HqLink['join']>[0]): Promise<NodeIdentity> {
    return this.call(routes.nodeJoin, { ...input }, NodeCredentialSchema, false);
  }

  async refresh(input: { nodeId: string; refreshToken: string }): Promise<NodeIdentity> {
    return this.call(routes.nodeCredential(input.nodeId), { refreshToken: input.refreshToken }, NodeCredentialSchema, false);
  }

  async heartbeat(input: Parameters<HqLink['heartbeat']>[0]): ReturnType<HqLink['heartbeat']> {
    const body: Record<string, unknown> = { resources: input.resources };
    if (input.capabilities !== undefined) body.capabilities = input.capabilities;
    if (input.slots !== undefined) body.slots = input.slots;
    if (this.version !== undefined) body.version = this.version;
    const r = await this.call(routes.nodeHeartbeat(this.nodeId()), body, HeartbeatResponse, true);
    return { node: toFleetNode(r.node), killSwitch: r.killSwitch, leases: r.leases, commands: r.commands };
  }

  async reportCommandResult(input: Parameters<HqLink['reportCommandResult']>[0]): Promise<void> {
    const { commandId, ...body } = input;
    await this.call(routes.nodeCommandResult(this.nodeId(), commandId), body, NodeCommandSchema, true);
  }

  async startAttempt(input: { taskId: string; fencingToken: number; workspacePath: string }): Promise<Task> {
    const { taskId, ...body } = input;
    return (await this.call(routes.lease(taskId, 'start'), body, TaskSchema, true));
  }

  async renewLease(input: { taskId: string; fencingToken: number }): ReturnType<HqLink['renewLease']> {
    return this.call(routes.lease(input.taskId, 'renew'), { fencingToken: input.fencingToken }, LeaseRenewResponse, true);
  }

  async taskCredential(input: { taskId: string; fencingToken: number }): Promise<TaskCredential> {
    return this.call(routes.lease(input.taskId, 'credential'), { fencingToken: input.fencingToken }, TaskCredentialSchema, true);
  }

  taskGitUrl(taskId: string): string {
    return `${this.baseUrl}/api/v1/tasks/${encodeURIComponent(taskId)}/git`;
  }

  async reportProgress(input: Parameters<HqLink['reportProgress']>[0]): Promise<Task> {
    const { taskId, ...body } = input;
    return (await this.call(routes.lease(taskId, 'progress'), withoutUndefined(body), TaskSchema, true));
  }

  async completeAttempt(input: Parameters<HqLink['completeAttempt']>[0]): Promise<Task> {
    const { taskId, ...body } = input;
    return (await this.call(routes.lease(taskId, 'complete'), withoutUndefined(body), TaskSchema, true));
  }

  private nodeId(): string {
    if (this.identity === null) throw new CorticalError('UNAUTHENTICATED', 'the node has not joined HQ yet');
    return this.identity.nodeId;
  }

  private async call<S extends z.ZodType>(path: string, body: unknown, schema: S, auth: boolean): Promise<z.output<S>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (auth) {
      if (this.identity === null) throw new CorticalError('UNAUTHENTICATED', 'the node has not joined HQ yet');
      headers.authorization = `Bearer ${this.identity.accessToken}`;
    }
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      text = await res.text();
    } catch (e) {
      const err = e as Error;
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
      throw unavailable(timedOut ? `HQ did not answer within ${this.requestTimeoutMs} ms` : `HQ unreachable: ${err.message}`, { path });
    }
    const json = parseJson(text);
    if (!res.ok) throw errorFrom(res.status, json, path);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new CorticalError('INTERNAL', `unexpected response from HQ for ${path}: ${parsed.error.message}`, { path });
    }
    return parsed.data;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorFrom(status: number, json: unknown, path: string): CorticalError {
  const parsed = ErrorResponse.safeParse(json);
  const retryable = RETRYABLE_STATUSES.has(status);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    const known = (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : null;
    if (status >= 500 || known === 'UNAVAILABLE') return unavailable(message, { ...details, status, path, code });
    return new CorticalError(known ?? 'INTERNAL', message, { ...details, status, path }, retryable);
  }
  if (status >= 500 || retryable) return unavailable(`HQ answered ${status} for ${path}`, { status, path });
  const code: ErrorCode = status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : status === 404 ? 'NOT_FOUND' : 'INTERNAL';
  return new CorticalError(code, `HQ answered ${status} for ${path}`, { status, path });
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
