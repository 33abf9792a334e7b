/**
 * A small fetch-based client for the HQ REST API, typed with the contract's zod schemas. Every
 * response is validated; `{error:{code,message}}` bodies become `ApiError`s, network failures a
 * `CliError` that names the HQ it could not reach.
 */
import { z } from 'zod';
import {
  ErrorResponse,
  KillSwitchSchema,
  NodeSchema,
  TokenSchema,
  StatusResponse,
  TokenCreateResponse,
} from '../../contract/node-schemas.js';
import type { KillSwitchPutRequest, NodeDto, TokenCreateRequest, TokenDto } from '../../contract/node-schemas.js';
import { routes } from '../../contract/routes.js';
import {
  EventSchema,
  GuidanceSchema,
  LogLineSchema,
  TaskSchema,
  pageSchema,
} from '../../contract/task-schemas.js';
import type { TaskCreateRequest, TaskDto } from '../../contract/task-schemas.js';
import { CliError } from './cli-errors.js';

export type EventDto = z.infer<typeof EventSchema>;
export type LogLineDto = z.infer<typeof LogLineSchema>;
export type GuidanceDto = z.infer<typeof GuidanceSchema>;
export type KillSwitchDto = z.infer<typeof KillSwitchSchema>;
export type StatusDto = z.infer<typeof StatusResponse>;
export type TokenCreatedDto = z.infer<typeof TokenCreateResponse>;
export interface PageDto<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

const TaskPage = pageSchema(TaskSchema);
const NodePage = pageSchema(NodeSchema);
const TokenPage = pageSchema(TokenSchema);

/** Sequence-numbered lists (`?after=`) arrive as a page or a bare array; both are accepted. */
function seqList<T extends z.ZodType>(item: T) {
  return z.union([z.array(item), z.looseObject({ items: z.array(item) }).transform((p) => p.items)]);
}
const EventList = seqList(EventSchema);
const LogList = seqList(LogLineSchema);

/** HQ answered with an error status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  /** Base URL of HQ without trailing slash. */
  readonly baseUrl: string;
  readonly token: string | null;
  readonly fetch: typeof fetch;
  readonly signal?: AbortSignal | undefined;
}

type Query = Readonly<Record<string, string | number | undefined>>;

interface RequestOptions<S extends z.ZodType> {
  readonly query?: Query;
  readonly body?: unknown;
  readonly schema: S;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | null;
  private readonly fetchFn: typeof fetch;
  private readonly signal: AbortSignal | undefined;

  constructor(opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.fetchFn = opts.fetch;
    this.signal = opts.signal;
  }

  status(): Promise<StatusDto> {
    return this.request('GET', routes.status, { schema: StatusResponse });
  }

  createTask(body: TaskCreateRequest): Promise<TaskDto> {
    return this.request('POST', routes.tasks, { body, schema: TaskSchema });
  }

  listTasks(query: {
    state?: string | undefined;
    node?: string | undefined;
    agent?: string | undefined;
    project?: string | undefined;
    cursor?: string | undefined;
    limit?: number | undefined;
  }): Promise<PageDto<TaskDto>> {
    return this.request('GET', routes.tasks, { query, schema: TaskPage });
  }

  getTask(id: string): Promise<TaskDto> {
    return this.request('GET', routes.task(id), { schema: TaskSchema });
  }

  taskEvents(id: string, after: number, limit = 200): Promise<EventDto[]> {
    return this.request('GET', routes.taskEvents(id), { query: { after, limit }, schema: EventList });
  }

  taskLogs(id: string, after: number, limit = 1000): Promise<LogLineDto[]> {
    return this.request('GET', routes.taskLogs(id), { query: { after, limit }, schema: LogList });
  }

  /** Pause, resume or stop. HQ answers with the task; an answer of another shape yields null. */
  async controlTask(id: string, action: 'pause' | 'resume' | 'stop', body?: object): Promise<TaskDto | null> {
    const raw = await this.request('POST', routes.taskControl(id, action), { body, schema: z.unknown() });
    const parsed = TaskSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  async taskGuidance(id: string): Promise<GuidanceDto[]> {
    return (await this.request('GET', routes.taskGuidance(id), { schema: z.object({ items: z.array(GuidanceSchema) }) })).items;
  }

  resleeveTask(id: string, to: { agent: string; model: string | null }): Promise<TaskDto> {
    return this.request('POST', routes.taskControl(id, 'resleeve'), { body: to, schema: TaskSchema });
  }

  async guideTask(id: string, text: string): Promise<GuidanceDto | null> {
    const raw = await this.request('POST', routes.taskControl(id, 'guide'), { body: { text }, schema: z.unknown() });
    const parsed = GuidanceSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

  listNodes(query: { state?: string; cursor?: string | undefined; limit?: number }): Promise<PageDto<NodeDto>> {
    return this.request('GET', routes.nodes, { query, schema: NodePage });
  }

  getNode(id: string): Promise<NodeDto> {
    return this.request('GET', routes.node(id), { schema: NodeSchema });
  }

  nodeAction(id: string, action: 'cordon' | 'drain' | 'uncordon'): Promise<NodeDto> {
    return this.request('POST', routes.nodeAction(id, action), { schema: NodeSchema });
  }

  getKillSwitch(): Promise<KillSwitchDto> {
    return this.request('GET', routes.killswitch, { schema: KillSwitchSchema });
  }

  setKillSwitch(body: z.input<typeof KillSwitchPutRequest>): Promise<KillSwitchDto> {
    return this.request('PUT', routes.killswitch, { body, schema: KillSwitchSchema });
  }

  createToken(body: z.input<typeof TokenCreateRequest>): Promise<TokenCreatedDto> {
    return this.request('POST', routes.tokens, { body, schema: TokenCreateResponse });
  }

  listTokens(query: { kind?: string | undefined; all?: 'true' | 'false'; cursor?: string | undefined; limit?: number }): Promise<PageDto<TokenDto>> {
    return this.request('GET', routes.tokens, { query, schema: TokenPage });
  }

  revokeToken(id: string): Promise<TokenDto> {
    return this.request('DELETE', routes.token(id), { schema: TokenSchema });
  }

  /**
   * Opens the server-sent event stream (`GET /api/v1/events`). `lastEventId` resumes after that
   * sequence number. Returns the response body; throws like any other call on an error status.
   */
  async openEventStream(
    query: { task?: string },
    lastEventId: number | null,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== null) headers['last-event-id'] = String(lastEventId);
    const res = await this.send('GET', routes.events, query, undefined, headers, signal);
    if (!res.ok) throw await this.toApiError(res);
    if (res.body === null) throw new CliError(`HQ at ${this.baseUrl} sent an empty event stream`);
    return res.body;
  }

  async request<S extends z.ZodType>(
    method: string,
    path: string,
    opts: RequestOptions<S>,
  ): Promise<z.output<S>> {
    const res = await this.send(method, path, opts.query, opts.body, {}, this.signal);
    if (!res.ok) throw await this.toApiError(res);
    const text = await res.text();
    let json: unknown = null;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        throw new CliError(`unexpected response from HQ for ${method} ${path}: not JSON`);
      }
    }
    const parsed = opts.schema.safeParse(json);
    if (!parsed.success) {
      throw new CliError(`unexpected response from HQ for ${method} ${path}: ${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  }

  private async send(
    method: string,
    path: string,
    query: Query | undefined,
    body: unknown,
    extraHeaders: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (this.token !== null) headers['authorization'] = `Bearer ${this.token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (signal !== undefined) init.signal = signal;
    try {
      return await this.fetchFn(url, init);
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new CliError(`cannot reach HQ at ${this.baseUrl}: ${networkCause(e)}`);
    }
  }

  private async toApiError(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: fall through to the status line
    }
    const parsed = ErrorResponse.safeParse(json);
    if (parsed.success) {
      const { code, message, details } = parsed.data.error;
      return new ApiError(res.status, code, message, details ?? {});
    }
    const statusText = res.statusText ? ` ${res.statusText}` : '';
    return new ApiError(res.status, `HTTP_${res.status}`, `HQ answered HTTP ${res.status}${statusText}`);
  }
}

/** The most useful words out of a failed fetch (`fetch failed` hides the cause). */
function networkCause(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return e.message;
}

/** A user-facing sentence for an API error, with a hint where one helps. */
export function describeApiError(e: ApiError): string {
  const hint = API_ERROR_HINTS[e.code];
  return `${e.message} [${e.code}]${hint ? `\nhint: ${hint}` : ''}`;
}

const API_ERROR_HINTS: Readonly<Record<string, string>> = {
  UNAUTHENTICATED: 'check --token / CORTICAL_TOKEN (or the token file of `cortical up`)',
  TOKEN_EXPIRED: 'the token has expired; create a new one with `cortical token create`',
  FORBIDDEN: 'the token\'s role does not allow this; use an operator or admin token',
  KILLSWITCH_ON: 'the kill switch is on; `cortical killswitch off` turns it off',
};
