/** `cortical pipeline list|show`: safety pipeline runs and their evidence. */
import type { Command } from 'commander';
import { z } from 'zod';
import { nowMs, type CliIo } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { formatAgo } from '../duration.js';
import { out, printJson } from '../output.js';
import { intInRange } from '../arg-parsers.js';

const RUNS = '/api/v1/pipeline/runs';

const Run = z.looseObject({
  id: z.string(),
  state: z.string(),
  intent: z.string(),
  project: z.string().nullable(),
  evidence: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
type RunDto = z.output<typeof Run>;
const RunPage = z.looseObject({ items: z.array(Run), nextCursor: z.string().nullable() });

function oneLine(r: RunDto, now: number): string {
  const stage = typeof r.evidence['failedStage'] === 'string' ? ` at ${r.evidence['failedStage']}` : '';
  const why = r.error !== null ? `: ${r.error.length > 80 ? `${r.error.slice(0, 77)}...` : r.error}` : '';
  return `${r.id}  ${r.state}${stage}  ${formatAgo(r.createdAt, now)}  ${r.intent || '(no intent)'}${why}`;
}

export function describeRun(r: RunDto, now: number): string[] {
  const e = r.evidence;
  const lines = [oneLine(r, now)];
  const check = e['planCheck'] as { allowed?: boolean; maxTier?: string; problems?: string[] } | undefined;
  if (check) lines.push(`  plan: ${check.allowed === true ? 'allowed' : 'refused'}, max tier ${check.maxTier ?? '?'}${(check.problems ?? []).map((p) => `\n    ${p}`).join('')}`);
  const debate = e['debate'] as { decision?: string; agreed?: boolean; rounds?: number; reason?: string } | undefined;
  if (debate) lines.push(`  debate: ${debate.decision ?? '?'} after ${debate.rounds ?? '?'} round(s)${debate.agreed === true ? ', agreed' : ', judged'}: ${debate.reason ?? ''}`);
  const sim = e['simulate'] as { ok?: boolean; steps?: { index: number; tool: string; tier: string; ok: boolean; error: string | null }[]; greenRevertedTo?: string | null } | undefined;
  if (sim) {
    lines.push(`  simulate: ${sim.ok === true ? 'ok' : 'failed'}${sim.greenRevertedTo ? ` (Green reverted to ${sim.greenRevertedTo})` : ''}`);
    for (const s of sim.steps ?? []) lines.push(`    step ${s.index} ${s.tool} (${s.tier}): ${s.ok ? 'ok' : `failed: ${s.error ?? ''}`}`);
  }
  const verify = e['verify'] as { passed?: boolean; checks?: { name: string; passed: boolean; exitCode: number | null; durationMs: number }[]; artifacts?: { digest: string } } | undefined;
  if (verify) {
    lines.push(`  verify: ${verify.passed === true ? 'passed' : 'failed'}${verify.artifacts ? `, artifacts ${verify.artifacts.digest.slice(0, 16)}` : ''}`);
    for (const c of verify.checks ?? []) lines.push(`    ${c.name}: ${c.passed ? 'pass' : 'FAIL'} (exit ${String(c.exitCode)}, ${c.durationMs} ms)`);
  }
  if (typeof e['promotedVersion'] === 'string') lines.push(`  promoted: ${e['promotedVersion']} (golden ${String(e['golden'])})`);
  return lines;
}

function printRuns(io: CliIo, runs: readonly RunDto[]): void {
  const now = nowMs(io);
  if (runs.length === 0) out(io, 'no pipeline runs');
  for (const r of runs) out(io, oneLine(r, now));
}

export function registerPipelineCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const pipeline = program.command('pipeline').description('safety pipeline runs: plan → debate → simulate → verify → promote');

  pipeline
    .command('list')
    .description('pipeline runs, newest first')
    .option('--limit <n>', 'how many (1-500)', intInRange(1, 500, 'a number of runs'), 20)
    .option('--cursor <cursor>', 'the next page (printed after a full page)')
    .option('--json', 'print JSON')
    .action(async (o: { limit: number; cursor?: string; json?: boolean }, cmd: Command) => {
      const query = o.cursor !== undefined ? { limit: o.limit, cursor: o.cursor } : { limit: o.limit };
      const page = await (await ctx.client(cmd)).request('GET', RUNS, { schema: RunPage, query });
      if (o.json) return printJson(io, page);
      printRuns(io, page.items);
      if (page.nextCursor !== null) out(io, `more: --cursor ${page.nextCursor}`);
    });

  pipeline
    .command('show')
    .description('one run with its evidence (plan check, debate, steps, checks, promotion)')
    .argument('<id>', 'run id (pipe_…)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const run = await (await ctx.client(cmd)).request('GET', `${RUNS}/${encodeURIComponent(id)}`, { schema: Run });
      if (o.json) return printJson(io, run);
      for (const line of describeRun(run, nowMs(io))) out(io, line);
    });
}
