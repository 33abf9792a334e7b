/** `cortical tasks …`: list, inspect and control tasks. */
import { formatGuidance, formatIterationCosts, loadGuidance, loadIterationCosts } from '../task-extras.js';
import type { Command } from 'commander';
import { TASK_STATES } from '../../../core/task.js';
import type { TaskDto } from '../../../contract/task-schemas.js';
import { intInRange } from '../arg-parsers.js';
import { CliUsageError } from '../cli-errors.js';
import { EXIT_INTERRUPTED, nowMs } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { err, out, printJson, printJsonLine } from '../output.js';
import { formatEvent, formatTaskDetails, formatTaskTable, rawLogText } from '../task-format.js';
import { fetchEventsAfter, fetchLogsAfter, followLogs } from '../task-watch.js';
import { registerTaskSnapshotCommands } from './task-snapshots.js';

/** Safety net for `--all`: stop after this many pages. */
const MAX_PAGES = 1000;

function stateList(value: string): string {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const p of parts) {
    if (!(TASK_STATES as readonly string[]).includes(p)) {
      throw new CliUsageError(`unknown task state '${p}'; accepted: ${TASK_STATES.join(', ')}`);
    }
  }
  return parts.join(',');
}

function describeControl(t: TaskDto | null, id: string, what: string): string {
  return t === null ? `${what} requested for ${id}` : `${what} requested for ${t.id}: state ${t.state}, desired ${t.desired}`;
}

export function registerTasksCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const tasks = program.command('tasks').description('list, inspect and control tasks');
  registerTaskSnapshotCommands(tasks, ctx);

  tasks
    .command('ls')
    .alias('list')
    .description('list tasks, newest first')
    .option('--state <states>', `comma-separated states (${TASK_STATES.join(', ')})`)
    .option('--node <id>', 'only tasks on this node')
    .option('--agent <name>', 'only tasks of this agent')
    .option('--project <name>', 'only tasks of this project')
    .option('--limit <n>', 'page size (1-500)', intInRange(1, 500, 'a whole number'))
    .option('--all', 'follow cursors and list every match')
    .option('--json', 'print JSON ({items, nextCursor})')
    .action(
      async (
        o: { state?: string; node?: string; agent?: string; project?: string; limit?: number; all?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const state = o.state === undefined ? undefined : stateList(o.state);
        const client = await ctx.client(cmd);
        const items: TaskDto[] = [];
        let cursor: string | undefined;
        let nextCursor: string | null = null;
        for (let page = 0; page < MAX_PAGES; page++) {
          const res = await client.listTasks({ state, node: o.node, agent: o.agent, project: o.project, limit: o.limit, cursor });
          items.push(...res.items);
          nextCursor = res.nextCursor;
          if (!o.all || nextCursor === null) break;
          cursor = nextCursor;
        }
        if (o.json) {
          printJson(io, { items, nextCursor });
          return;
        }
        if (items.length === 0) out(io, 'no tasks');
        else out(io, formatTaskTable(items, nowMs(io)));
        if (nextCursor !== null && !o.all) err(io, '(more tasks: use --all or --limit)');
      },
    );

  tasks
    .command('show')
    .description('show one task')
    .argument('<id>', 'task id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const task = await client.getTask(id);
      if (o.json) {
        printJson(io, task);
        return;
      }
      out(io, formatTaskDetails(task, nowMs(io)));
      const [costs, guidance] = await Promise.all([task.usage.iterations > 0 ? loadIterationCosts(client, id) : null, loadGuidance(client, id)]);
      if (costs !== null && costs.length > 0) out(io, formatIterationCosts(costs));
      if (guidance !== null && guidance.length > 0) out(io, formatGuidance(guidance));
    });

  tasks
    .command('logs')
    .description("print a task's log lines")
    .argument('<id>', 'task id')
    .option('-f, --follow', 'keep printing new lines until the task ends')
    .option('--json', 'print JSON (an array; with --follow one line object per line)')
    .action(async (id: string, o: { follow?: boolean; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      if (o.follow) {
        const res = await followLogs(io, client, id, (l) =>
          o.json ? printJsonLine(io, l) : io.stdout.write(rawLogText(l)),
        );
        if (res.interrupted) ctx.setExitCode(EXIT_INTERRUPTED);
        return;
      }
      await client.getTask(id); // a clear "not found" before an empty list
      const lines = await fetchLogsAfter(client, id, 0);
      if (o.json) printJson(io, lines);
      else for (const l of lines) io.stdout.write(rawLogText(l));
    });

  tasks
    .command('events')
    .description("print a task's events")
    .argument('<id>', 'task id')
    .option('--json', 'print JSON (an array)')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      await client.getTask(id);
      const events = await fetchEventsAfter(client, id, 0);
      if (o.json) printJson(io, events);
      else for (const e of events) out(io, formatEvent(e));
    });

  tasks
    .command('pause')
    .description('pause a task between iterations (--now: suspend the running iteration)')
    .argument('<id>', 'task id')
    .option('--now', 'suspend the running iteration at once')
    .option('--json', 'print the task as JSON')
    .action(async (id: string, o: { now?: boolean; json?: boolean }, cmd: Command) => {
      const t = await (await ctx.client(cmd)).controlTask(id, 'pause', { now: o.now === true });
      if (o.json) printJson(io, t);
      else out(io, describeControl(t, id, o.now ? 'immediate pause' : 'pause'));
    });

  for (const action of ['resume', 'stop'] as const) {
    tasks
      .command(action)
      .description(action === 'resume' ? 'resume a paused task' : 'stop a task (it ends as cancelled)')
      .argument('<id>', 'task id')
      .option('--json', 'print the task as JSON')
      .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
        const t = await (await ctx.client(cmd)).controlTask(id, action);
        if (o.json) printJson(io, t);
        else out(io, describeControl(t, id, action));
      });
  }

  tasks
    .command('resleeve')
    .description('move a task to another agent (a running task switches at its next iteration, with the same workspace and .cstack/)')
    .argument('<id>', 'task id')
    .requiredOption('--agent <name>', 'the agent to continue on: claude, codex, gemini, opencode, aider, builtin, shell, script')
    .option('--model <id>', "the model (default: the node's default for that agent's endpoint)")
    .option('--json', 'print the task as JSON')
    .action(async (id: string, o: { agent: string; model?: string; json?: boolean }, cmd: Command) => {
      if (!/^[a-z][a-z0-9-]{0,31}$/.test(o.agent)) throw new CliUsageError(`--agent ${JSON.stringify(o.agent)}: expected an agent name such as codex`);
      const t = await (await ctx.client(cmd)).resleeveTask(id, { agent: o.agent, model: o.model ?? null });
      if (o.json) printJson(io, t);
      else out(io, `${t.id} continues on ${t.spec.agent}${t.spec.model ? ` (${t.spec.model})` : ''}${t.state === 'queued' ? '' : ' from its next iteration'}`);
    });

  tasks
    .command('guide')
    .description('send guidance to a running task (delivered into its next iteration)')
    .argument('<id>', 'task id')
    .argument('<text...>', 'guidance text; words are joined with spaces')
    .option('--json', 'print the guidance as JSON')
    .action(async (id: string, words: string[], o: { json?: boolean }, cmd: Command) => {
      const text = words.join(' ').trim();
      if (text === '') throw new CliUsageError('guidance text must not be empty');
      const g = await (await ctx.client(cmd)).guideTask(id, text);
      if (o.json) printJson(io, g);
      else out(io, g === null ? `guidance sent to ${id}` : `guidance #${g.seq} queued for ${g.taskId}`);
    });
}
