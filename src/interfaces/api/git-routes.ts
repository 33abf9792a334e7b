import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import { allows, type Principal } from '../../core/auth.js';
import { CorticalError, TerminalError } from '../../core/errors.js';
import { parseReceivePackCommands, refusal, refusalReport } from '../../core/git-push-policy.js';
import { GIT_SERVICES, type GitHost, type GitService } from '../../core/ports/git-host.js';
import type { Hq } from '../../services/hq/hq.js';
import type { ApiEnv } from './api-env.js';
import { bearerOf } from './auth-middleware.js';

/** Where a task's repository is served: git appends `/info/refs`, `/git-upload-pack` … */
export const GIT_BASE = '/api/v1/tasks/:taskId/git';

function serviceOf(value: string | undefined): GitService {
  if (value !== undefined && (GIT_SERVICES as readonly string[]).includes(value)) return value as GitService;
  throw new TerminalError('VALIDATION_FAILED', `unsupported git service '${value ?? ''}': expected one of ${GIT_SERVICES.join(', ')}`);
}

/**
 * Fetches: the task's own credential, or a user allowed to read tasks. Pushes: only the task's
 * own credential (a user pushes to the repository directly, not through HQ).
 */
function authorize(principal: Principal, taskId: string, service: GitService): void {
  if (principal.role === 'task') {
    if (principal.taskId !== taskId) throw new TerminalError('FORBIDDEN', 'a task credential opens only its own task\'s repository', { taskId });
    return;
  }
  if (service === 'git-receive-pack') {
    throw new TerminalError('FORBIDDEN', 'pushes through HQ need the task\'s own credential', { role: principal.role });
  }
  if (!allows(principal.role, 'tasks:read')) {
    throw new TerminalError('FORBIDDEN', `role ${principal.role} lacks permission tasks:read`, { role: principal.role });
  }
}

async function repositoryOf(hq: Hq, git: GitHost, taskId: string): Promise<string> {
  const task = await hq.deps.store.getTask(taskId);
  if (task === null) throw new CorticalError('TASK_NOT_FOUND', `task ${taskId} not found`, { taskId });
  if (task.spec.repo === null) throw new CorticalError('NOT_FOUND', `task ${taskId} has no repository`, { taskId });
  const path = task.spec.repo.path;
  if (!(await git.isRepository(path))) {
    throw new CorticalError('NOT_FOUND', `repository ${path} of task ${taskId} is not a git repository HQ can read`, { taskId, repo: path });
  }
  return path;
}

function requestBody(c: Context<ApiEnv>): AsyncIterator<Uint8Array> {
  const raw = c.req.raw.body;
  const stream: Readable = raw === null ? Readable.from([]) : Readable.fromWeb(raw as WebReadableStream<Uint8Array>);
  const encoding = (c.req.header('content-encoding') ?? '').toLowerCase();
  const body = encoding === 'gzip' || encoding === 'x-gzip' ? stream.pipe(createGunzip()) : stream;
  return (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
}

async function* prefixed(head: Buffer, rest: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  if (head.length > 0) yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}

function streamResponse(chunks: AsyncIterable<Uint8Array>, service: GitService): Response {
  const web = Readable.toWeb(Readable.from(chunks)) as unknown as ReadableStream<Uint8Array>;
  return new Response(web, { status: 200, headers: { 'content-type': `application/x-${service}-result`, 'cache-control': 'no-cache' } });
}

/**
 * A task's repository over git's smart HTTP protocol. Nodes clone and push their workspaces
 * here, and so may an agent inside its sleeve (with the lease-scoped task credential, where its
 * network policy lets it reach HQ). Pushes may write only `refs/heads/cortical/<taskId>`; any
 * other ref update, or deleting the branch, refuses the whole push with the reason per ref.
 */
export function registerGitRoutes(app: OpenAPIHono<ApiEnv>, hq: Hq, git: GitHost): void {
  const open = async (c: Context<ApiEnv>, service: GitService): Promise<{ taskId: string; repo: string }> => {
    const principal = await hq.auth.authenticate(bearerOf(c.req.header('authorization')));
    const taskId = c.req.param('taskId') ?? '';
    authorize(principal, taskId, service);
    return { taskId, repo: await repositoryOf(hq, git, taskId) };
  };

  app.get(`${GIT_BASE}/info/refs`, async (c) => {
    const service = serviceOf(c.req.query('service'));
    const { repo } = await open(c, service);
    const body = await git.advertise(repo, service);
    return new Response(body, { status: 200, headers: { 'content-type': `application/x-${service}-advertisement`, 'cache-control': 'no-cache' } });
  });

  app.post(`${GIT_BASE}/git-upload-pack`, async (c) => {
    const { repo } = await open(c, 'git-upload-pack');
    const body = requestBody(c);
    return streamResponse(git.serve(repo, 'git-upload-pack', prefixed(Buffer.alloc(0), body)), 'git-upload-pack');
  });

  app.post(`${GIT_BASE}/git-receive-pack`, async (c) => {
    const { taskId, repo } = await open(c, 'git-receive-pack');
    const body = requestBody(c);
    let head = Buffer.alloc(0);
    for (;;) {
      const parsed = parseReceivePackCommands(head.toString('latin1'));
      if (parsed.kind === 'invalid') throw new TerminalError('VALIDATION_FAILED', `bad push request: ${parsed.why}`);
      if (parsed.kind === 'ok') {
        const reasons = new Map<string, string>();
        for (const u of parsed.updates) {
          const why = refusal(u, taskId);
          if (why !== null) reasons.set(u.ref, why);
        }
        if (reasons.size > 0) {
          hq.deps.logger.warn({ taskId, refs: [...reasons.keys()] }, 'push refused');
          const report = Buffer.from(refusalReport(parsed.updates, reasons, parsed.capabilities), 'latin1');
          return new Response(report, { status: 200, headers: { 'content-type': 'application/x-git-receive-pack-result', 'cache-control': 'no-cache' } });
        }
        hq.deps.logger.info({ taskId, refs: parsed.updates.map((u) => u.ref) }, 'push accepted');
        return streamResponse(git.serve(repo, 'git-receive-pack', prefixed(head, body)), 'git-receive-pack');
      }
      const next = await body.next();
      if (next.done === true) throw new TerminalError('VALIDATION_FAILED', 'bad push request: it ended before its command list did');
      head = Buffer.concat([head, next.value]);
    }
  });
}
