/**
 * `cortical plan "REQUEST" [--submit] [--json] [--project P]`: HQ's request planner. Prints the
 * plan (agent, nodes, guardrails, until-check, checks, tier, why) and the policy verdict; with
 * `--submit` creates the task. Exit code 3 when the policy refuses the request.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { PlanResponse, PlanSchema, PlanVerdictSchema, type PlanDto } from '../../../contract/plan-schemas.js';
import { routes } from '../../../contract/routes.js';
import { ApiError } from '../api-client.js';
import { CliUsageError } from '../cli-errors.js';
import type { CommandContext } from '../command-context.js';
import { formatFields, out, printJson } from '../output.js';

/** The policy refused the request (preview or submit). */
export const EXIT_REFUSED = 3;

type Verdict = z.infer<typeof PlanVerdictSchema>;
const RefusalDetails = z.object({ plan: PlanSchema, verdict: PlanVerdictSchema });

function guardrailText(g: PlanDto['guardrails']): string {
  const parts = [
    g.maxIterations === null ? 'unlimited iterations' : `at most ${g.maxIterations} iteration${g.maxIterations === 1 ? '' : 's'}`,
    g.budgetUsd === null ? 'no $ budget' : `budget $${g.budgetUsd}`,
    g.budgetTokens === null ? 'no token budget' : `${g.budgetTokens} tokens`,
    g.timeoutMs === null ? 'no timeout' : `timeout ${formatMs(g.timeoutMs)}`,
  ];
  return parts.join(', ');
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The plan as aligned fields, then the explanation lines. */
export function describePlan(plan: PlanDto, planner: string | null): string {
  const fields = formatFields([
    ['title', plan.title],
    ['planner', planner ?? 'unknown'],
    ['agent', plan.model === null ? `${plan.agent} (model: the node's default)` : `${plan.agent} (model ${plan.model})`],
    ['runs on', plan.nodeClass + (plan.requires.length > 0 ? ` (requires ${plan.requires.join(', ')})` : '')],
    ['tier', plan.tier],
    ['project', plan.project],
    ['repo', plan.repo ?? '-'],
    ['until', plan.until ?? '-'],
    ['checks', plan.checks.length === 0 ? '-' : plan.checks.join('; ')],
    ['guardrails', guardrailText(plan.guardrails)],
  ]);
  return [fields, 'why:', ...plan.explanation.map((l) => `  - ${l}`)].join('\n');
}

function verdictLine(v: Verdict): string {
  return v.allowed ? 'verdict: allowed' : `verdict: REFUSED [${v.code ?? 'POLICY_DENIED'}] ${v.reason ?? ''}`.trimEnd();
}

export function registerPlanCommand(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command('plan')
    .description('plan a request in plain words (agent, nodes, guardrails, checks, tier) and check it against the policy')
    .argument('<request...>', 'what to do, in plain words (quote it)')
    .option('--submit', 'create the task when the policy allows it')
    .option('--project <name>', 'project the task counts against (wins over one named in the request)')
    .option('--json', 'print the answer as JSON')
    .addHelpText('after', '\nExit codes: 0 allowed (and submitted with --submit); 3 refused by the policy; 1 error; 2 usage error.')
    .action(async (words: string[], o: { submit?: boolean; project?: string; json?: boolean }, cmd: Command) => {
      const request = words.join(' ').trim();
      if (request === '') throw new CliUsageError('plan: give the request in words, e.g. cortical plan "fix the login bug until `npm test` passes"');
      const client = await ctx.client(cmd);
      const body = { request, submit: o.submit === true, ...(o.project === undefined ? {} : { project: o.project }) };
      let answer: z.infer<typeof PlanResponse>;
      try {
        answer = await client.request('POST', routes.plans, { body, schema: PlanResponse });
      } catch (e) {
        const details = e instanceof ApiError && e.code === 'POLICY_DENIED' ? RefusalDetails.safeParse(e.details) : null;
        if (details === null || !details.success) throw e;
        if (o.json) printJson(io, { planner: null, plan: details.data.plan, verdict: details.data.verdict, task: null });
        else out(io, `${describePlan(details.data.plan, null)}\n${verdictLine(details.data.verdict)}`);
        ctx.setExitCode(EXIT_REFUSED);
        return;
      }
      if (o.json) printJson(io, answer);
      else {
        const tail = answer.task !== null
          ? `submitted: task ${answer.task.id} (${answer.task.state})`
          : answer.verdict.allowed
            ? 'preview only: add --submit to create the task'
            : null;
        out(io, [describePlan(answer.plan, answer.planner), verdictLine(answer.verdict), ...(tail === null ? [] : [tail])].join('\n'));
      }
      if (!answer.verdict.allowed) ctx.setExitCode(EXIT_REFUSED);
    });
}
