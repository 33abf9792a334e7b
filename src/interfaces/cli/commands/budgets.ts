/** `cortical projects list|budget`, `cortical fleet budget`, `cortical usage`: daily budgets and cost. */
import type { Command } from 'commander';
import type { z } from 'zod';
import { ProjectBudgetSchema, ProjectPage, UsagePage } from '../../../contract/budget-schemas.js';
import { ProjectName } from '../../../contract/task-schemas.js';
import { intInRange, positiveNumber } from '../arg-parsers.js';
import { CliUsageError } from '../cli-errors.js';
import type { CliIo } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { formatTable, out, printJson } from '../output.js';

type ProjectBudget = z.output<typeof ProjectBudgetSchema>;

interface BudgetFlags {
  dailyUsd?: number;
  dailyTokens?: number;
  clear?: boolean;
  json?: boolean;
}

const usd = (x: number): string => `$${x.toFixed(4)}`;
const limit = (b: ProjectBudget): string =>
  [b.dailyUsd === null ? null : `$${b.dailyUsd}/day`, b.dailyTokens === null ? null : `${b.dailyTokens} tokens/day`].filter((x) => x !== null).join(', ') || 'none';

function budgetBody(o: BudgetFlags): { dailyUsd: number | null; dailyTokens: number | null } | null {
  if (o.clear) {
    if (o.dailyUsd !== undefined || o.dailyTokens !== undefined) throw new CliUsageError('--clear cannot go with --daily-usd or --daily-tokens');
    return { dailyUsd: null, dailyTokens: null };
  }
  if (o.dailyUsd === undefined && o.dailyTokens === undefined) return null;
  return { dailyUsd: o.dailyUsd ?? null, dailyTokens: o.dailyTokens ?? null };
}

function printBudget(io: CliIo, name: string, b: ProjectBudget, json: boolean | undefined): void {
  if (json) printJson(io, b);
  else out(io, `${name}: budget ${limit(b)}; today ${usd(b.today.usd)}, ${b.today.tokens} tokens`);
}

function budgetOptions(cmd: Command): Command {
  return cmd
    .option('--daily-usd <x>', 'dollars per UTC day', positiveNumber)
    .option('--daily-tokens <n>', 'tokens (in + out) per UTC day', intInRange(1, Number.MAX_SAFE_INTEGER, 'a whole number'))
    .option('--clear', 'remove the budget')
    .option('--json', 'print JSON');
}

export function registerBudgetCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const projects = program.command('projects').description("projects: daily budgets and today's spend");

  projects
    .command('list')
    .description("projects that have tasks, a budget or spend today")
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const page = await (await ctx.client(cmd)).request('GET', '/api/v1/projects', { query: { limit: 1000 }, schema: ProjectPage });
      if (o.json) printJson(io, page);
      else out(io, formatTable(['PROJECT', 'BUDGET', 'TODAY $', 'TODAY TOKENS'], page.items.map((p) => [p.project, limit(p), usd(p.today.usd), String(p.today.tokens)])));
    });

  budgetOptions(
    projects
      .command('budget')
      .description("show or set a project's daily budget (tasks over it stay queued with reason budget_exhausted)")
      .argument('<project>', 'project name'),
  ).action(async (project: string, o: BudgetFlags, cmd: Command) => {
    if (!ProjectName.safeParse(project).success) throw new CliUsageError(`project ${JSON.stringify(project)}: lowercase letters, digits, . _ - (up to 63)`);
    const client = await ctx.client(cmd);
    const body = budgetBody(o);
    const b =
      body === null
        ? ((await client.request('GET', '/api/v1/projects', { query: { limit: 1000 }, schema: ProjectPage })).items.find((p) => p.project === project) ?? {
            project,
            dailyUsd: null,
            dailyTokens: null,
            today: { usd: 0, tokens: 0 },
          })
        : await client.request('PUT', `/api/v1/projects/${encodeURIComponent(project)}/budget`, { body, schema: ProjectBudgetSchema });
    printBudget(io, `project ${project}`, b, o.json);
  });

  const fleet = program.command('fleet').description("the fleet's daily budget over all projects");
  budgetOptions(fleet.command('budget').description("show or set the fleet's daily budget")).action(async (o: BudgetFlags, cmd: Command) => {
    const client = await ctx.client(cmd);
    const body = budgetBody(o);
    const b = body === null ? await client.request('GET', '/api/v1/fleet/budget', { schema: ProjectBudgetSchema }) : await client.request('PUT', '/api/v1/fleet/budget', { body, schema: ProjectBudgetSchema });
    printBudget(io, 'fleet', b, o.json);
  });

  program
    .command('usage')
    .description('tokens and dollars of the last days, by project, node or day')
    .option('--by <what>', 'project, node or day', 'project')
    .option('--days <n>', 'UTC days back, today included (1-366)', intInRange(1, 366, 'a whole number'), 1)
    .option('--json', 'print JSON')
    .action(async (o: { by: string; days: number; json?: boolean }, cmd: Command) => {
      if (!['project', 'node', 'day'].includes(o.by)) throw new CliUsageError(`--by ${JSON.stringify(o.by)}: expected project, node or day`);
      const page = await (await ctx.client(cmd)).request('GET', '/api/v1/usage', { query: { by: o.by, days: o.days, limit: 1000 }, schema: UsagePage });
      if (o.json) printJson(io, page);
      else out(io, formatTable([o.by.toUpperCase(), 'TOKENS IN', 'TOKENS OUT', 'USD'], page.items.map((r) => [r.key, String(r.tokensIn), String(r.tokensOut), usd(r.usd)])));
    });
}
