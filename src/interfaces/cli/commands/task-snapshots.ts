/** `cortical tasks snapshot | snapshots | revert`: restore points of a task's workspace. */
import type { Command } from 'commander';
import {
  ListSnapshotsResultSchema,
  NodeCommandSchema,
  RevertResultSchema,
  SnapshotResultSchema,
  type NodeCommandDto,
} from '../../../contract/node-command-schemas.js';
import { routes } from '../../../contract/routes.js';
import type { ApiClient } from '../api-client.js';
import { durationMs } from '../arg-parsers.js';
import { CliError } from '../cli-errors.js';
import { EXIT_INTERRUPTED, nowMs, sleep } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { formatDuration } from '../duration.js';
import { clockTime, err, formatTable, out, printJson } from '../output.js';

const DEFAULT_TIMEOUT_MS = 60_000;

interface WaitOptions {
  readonly json?: boolean;
  readonly timeout?: number;
}

function describeWait(c: NodeCommandDto): string {
  return c.state === 'queued' ? `waiting for node ${c.nodeId} to pick up the command (next heartbeat)` : `node ${c.nodeId} is working on it`;
}

/** Polls the command until the node reports; progress on stderr. null when interrupted. */
async function waitForResult(ctx: CommandContext, client: ApiClient, first: NodeCommandDto, timeoutMs: number): Promise<NodeCommandDto | null> {
  const { io } = ctx;
  const deadline = nowMs(io) + timeoutMs;
  let c = first;
  let shown = '';
  for (;;) {
    if (c.state === 'done' || c.state === 'failed') return c;
    const line = describeWait(c);
    if (line !== shown) err(io, `${line}…`);
    shown = line;
    if (io.signal?.aborted) return null;
    if (nowMs(io) >= deadline) {
      throw new CliError(
        `no result from node ${c.nodeId} within ${formatDuration(timeoutMs)}; command ${c.id} is still ${c.state} ` +
          `(HQ fails it after 10 minutes without an answer; is the node up? see cortical nodes ls)`,
      );
    }
    await sleep(io.pollIntervalMs ?? 250, io.signal);
    if (io.signal?.aborted) return null;
    c = await client.request('GET', routes.command(c.id), { schema: NodeCommandSchema });
  }
}

/** Runs one command to its result; exits 130 when interrupted, throws the node's error when failed. */
async function runCommand(
  ctx: CommandContext,
  cmd: Command,
  o: WaitOptions,
  start: (client: ApiClient) => Promise<NodeCommandDto>,
): Promise<NodeCommandDto | null> {
  const client = await ctx.client(cmd);
  const queued = await start(client);
  const c = await waitForResult(ctx, client, queued, o.timeout ?? DEFAULT_TIMEOUT_MS);
  if (c === null) {
    ctx.setExitCode(EXIT_INTERRUPTED);
    return null;
  }
  if (c.state === 'failed') {
    if (o.json) printJson(ctx.io, c);
    throw new CliError(`node ${c.nodeId}: ${c.kind.replace('_', ' ')} of task ${c.taskId} failed: ${c.error ?? 'no reason given'}`);
  }
  return c;
}

function kib(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export function registerTaskSnapshotCommands(tasks: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const timeoutOption = ['--timeout <duration>', `how long to wait for the node's result (default ${DEFAULT_TIMEOUT_MS / 1000}s)`, durationMs] as const;

  tasks
    .command('snapshot')
    .description("snapshot a task's workspace on its node (a restore point for tasks revert)")
    .argument('<id>', 'task id')
    .option('--label <text>', 'a note to recognise the snapshot by')
    .option(...timeoutOption)
    .option('--json', 'print the finished command as JSON')
    .action(async (id: string, o: WaitOptions & { label?: string }, cmd: Command) => {
      const c = await runCommand(ctx, cmd, o, (client) =>
        client.request('POST', routes.taskSnapshots(id), { body: o.label === undefined ? {} : { label: o.label }, schema: NodeCommandSchema }),
      );
      if (c === null) return;
      if (o.json) return printJson(io, c);
      const r = SnapshotResultSchema.parse(c.result);
      out(io, `snapshot ${r.snapshotId} of ${c.taskId} taken in ${r.durationMs} ms${r.label === '' ? '' : ` (${r.label})`}; ${kib(r.untrackedBytes)} not tracked by git`);
    });

  tasks
    .command('snapshots')
    .description("list the snapshots of a task's workspace (asks its node)")
    .argument('<id>', 'task id')
    .option(...timeoutOption)
    .option('--json', 'print the finished command as JSON (result.snapshots)')
    .action(async (id: string, o: WaitOptions, cmd: Command) => {
      const c = await runCommand(ctx, cmd, o, (client) => client.request('GET', routes.taskSnapshots(id), { schema: NodeCommandSchema }));
      if (c === null) return;
      if (o.json) return printJson(io, c);
      const r = ListSnapshotsResultSchema.parse(c.result);
      if (r.snapshots.length === 0) return out(io, `no snapshots of ${c.taskId}`);
      const now = nowMs(io);
      out(
        io,
        formatTable(
          ['ID', 'TAKEN', 'AGO', 'LABEL', 'NOT TRACKED'],
          [...r.snapshots].reverse().map((s) => [s.id, clockTime(s.createdAt), formatDuration(Math.max(0, now - s.createdAt)), s.label, kib(s.untrackedBytes)]),
        ),
      );
    });

  tasks
    .command('revert')
    .description("revert a task's workspace to a snapshot (the task must be paused or not running)")
    .argument('<id>', 'task id')
    .argument('<snapshot>', 'snapshot id (see tasks snapshots)')
    .option(...timeoutOption)
    .option('--json', 'print the finished command as JSON')
    .action(async (id: string, snapshot: string, o: WaitOptions, cmd: Command) => {
      const c = await runCommand(ctx, cmd, o, (client) =>
        client.request('POST', routes.taskRevert(id, snapshot), { schema: NodeCommandSchema }),
      );
      if (c === null) return;
      if (o.json) return printJson(io, c);
      const r = RevertResultSchema.parse(c.result);
      out(io, `reverted ${c.taskId} to snapshot ${r.snapshotId} in ${r.durationMs} ms: ${r.written} files written, ${r.removed} removed`);
    });
}
