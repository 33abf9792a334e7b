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
import type { Logger } from '../../../core/ports/logger.js';
import type { Task } from '../../../core/task.js';
import { DEFAULT_REPLICA_BACKOFF, HqReplicaSet, type ReplicaBackoff } from './hq-replica-set.js';

export interface HttpHqLinkOptions {
  /**
   * HQ's base URL, e.g. `http://127.0.0.1:7070`, or the base URLs of several HQ replicas: the
   * link fails over between them (see HqReplicaSet).
   */
  readonly baseUrl: string | readonly string[];
  /** Per-request time limit. */
  readonly requestTimeoutMs?: number;
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  readonly version?: string;
  /** Fail-overs between replicas are logged here. */
  readonly logger?: Logger;
  /** Back-off of a failed replica (default 1 s doubling up to 30 s). */
  readonly replicaBackoff?: ReplicaBackoff;
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
 *
 * With several HQ URLs, a request that fails that way is sent again to the next replica (each
 * replica at most once per request); only when every replica failed does the call fail, with
 * the last replica's error. Credentials are kept: all replicas share one store.
 */
export class HttpHqLink implements HqLink {
  private identity: NodeIdentity | null = null;
  private readonly replicas: HqReplicaSet;
  private readonly requestTimeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly version: string | undefined;

  constructor(options: HttpHqLinkOptions) {
    const urls = typeof options.baseUrl === 'string' ? [options.baseUrl] : options.baseUrl;
    this.replicas = new HqReplicaSet(urls, options.replicaBackoff ?? DEFAULT_REPLICA_BACKOFF, options.logger);
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
    return { node: toFleetNode(r.node), killSwitch: r.killSwitch, lockdown: r.lockdown, leases: r.leases, commands: r.commands };
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
    return `${this.replicas.current}/api/v1/tasks/${encodeURIComponent(taskId)}/git`;
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
    const payload = JSON.stringify(body);
    let res: Response | null = null;
    let text = '';
    let lastError: CorticalError | null = null;
    for (const index of this.replicas.order()) {
      const base = this.replicas.url(index);
      try {
        res = await this.fetchFn(`${base}${path}`, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(this.requestTimeoutMs) });
        text = await res.text();
      } catch (e) {
        const err = e as Error;
        const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
        const message = timedOut ? `HQ did not answer within ${this.requestTimeoutMs} ms` : `HQ unreachable: ${causeMessage(err)}`;
        lastError = unavailable(this.replicas.size > 1 ? `${message} (${base})` : message, { path, ...(this.replicas.size > 1 && { hq: base }) });
        this.replicas.failed(index, message);
        res = null;
        continue;
      }
      if (res.status >= 500) {
        lastError = errorFrom(res.status, parseJson(text), path);
        this.replicas.failed(index, `HTTP ${res.status}: ${lastError.message}`);
        res = null;
        continue;
      }
      this.replicas.succeeded(index);
      break;
    }
    if (res === null) throw lastError ?? unavailable('no HQ replica to call', { path });
    const json = parseJson(text);
    if (!res.ok) throw errorFrom(res.status, json, path);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new CorticalError('INTERNAL', `unexpected response from HQ for ${path}: ${parsed.error.message}`, { path });
    }
    return parsed.data;
  }
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED, socket closed) in its cause. */
function causeMessage(err: Error): string {
  const cause = err.cause instanceof Error ? err.cause.message : null;
  return cause !== null && cause !== '' ? `${err.message} (${cause})` : err.message;
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
