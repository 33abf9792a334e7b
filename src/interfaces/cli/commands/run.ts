/** `cortical run PROMPT…`: submit a task; optionally wait for it or follow it live. */
import { TASK_TIERS, type TaskTier } from '../../../core/node-command.js';
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { z } from 'zod';
import { TaskCreateRequest } from '../../../contract/task-schemas.js';
import type { TaskDto } from '../../../contract/task-schemas.js';
import {
  capabilityList,
  collectAllow,
  collectLabel,
  cpusAsPercent,
  sizeMbOrUnlimited,
  durationMs,
  intInRange,
  limitValue,
  type Limit,
  positiveInt,
  positiveIntOrUnlimited,
  positiveNumber,
} from '../arg-parsers.js';
import type { ApiClient } from '../api-client.js';
import { CliError, CliUsageError } from '../cli-errors.js';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK } from '../cli-io.js';
import type { CliIo } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { err, out, printJson, printJsonLine } from '../output.js';
import { errorText, resolvePath } from '../settings.js';
import { formatEvent, formatLogLine, formatOutcome } from '../task-format.js';
import { followTask, waitForTask } from '../task-watch.js';
import type { WatchResult } from '../task-watch.js';

interface RunFlags {
  agent?: string;
  repo?: string;
  baseRef?: string;
  requires?: string[];
  mode?: 'once' | 'loop';
  until?: string;
  maxIterations?: Limit;
  timeout?: number;
  iterationTimeout?: number;
  budgetTokens?: number;
  budgetUsd?: number;
  stuckAfter?: number;
  priority?: number;
  maxAttempts?: number;
  label?: Record<string, string>;
  network?: 'none' | 'allowlist' | 'open';
  allow?: string[];
  memory?: Limit;
  cpus?: number;
  maxProcs?: Limit;
  maxFileSize?: Limit;
  maxOpenFiles?: Limit;
  diskQuota?: Limit;
  tier?: TaskTier;
  project?: string;
  model?: string;
  fallback?: { agent: string; model: string | null }[];
  promptFile?: string;
  promoteTo?: string;
  check?: string[];
  wait?: boolean;
  follow?: boolean;
  json?: boolean;
}

export function registerRunCommand(program: Command, ctx: CommandContext): void {
  program
    .command('run')
    .description('submit a task (prints its id); --wait or --follow stay until it ends')
    .argument('[prompt...]', 'the prompt (for the shell agent: the command); words are joined with spaces')
    .option('--agent <name>', 'agent: claude, codex, gemini, opencode, aider, builtin, shell, script (default: shell)')
    .option('--model <id>', "the model the agent uses (default: the node's default for the agent's endpoint)")
    .option('--project <name>', 'project the usage counts against (daily budgets per project; default: default)')
    .option('--fallback <agent[:model]>', 'agent (and model) to go on with after a rate limit, repeatable, in order', collectFallback)
    .option('--prompt-file <file>', 'read the prompt from a file (- = standard input)')
    .option('--repo <path>', 'git repository on the node to work in (resolved to an absolute path)')
    .option('--base-ref <ref>', 'ref the task branch starts from (default: the repository HEAD)')
    .option('--promote-to <branch>', 'after success, put the task branch through the safety pipeline and fast-forward BRANCH (needs --repo)')
    .option('--check <cmd>', 'a check VERIFY runs on the merged result (exit 0 = passed), repeatable; with --promote-to', collectCheck)
    .option('--requires <caps>', 'comma-separated capabilities a node must have', capabilityList)
    .addOption(new Option('--mode <mode>', 'once: one iteration; loop: iterate until done').choices(['once', 'loop']))
    .option('--until <cmd>', 'shell check run after each iteration; exit 0 = done (implies --mode loop)')
    .option('--max-iterations <n>', "iteration limit, or 'unlimited' (default: 1 once, 25 loop)", positiveIntOrUnlimited(1_000_000))
    .option('--timeout <duration>', 'wall-clock limit for the whole task, e.g. 30m', durationMs)
    .option('--iteration-timeout <duration>', 'limit for one iteration, e.g. 5m', durationMs)
    .option('--budget-tokens <n>', 'token budget', positiveInt())
    .option('--budget-usd <x>', 'dollar budget', positiveNumber)
    .option('--stuck-after <n>', 'pause after N iterations that changed nothing', positiveInt(1000))
    .option('--priority <n>', 'higher runs first (-1000..1000, default 0)', intInRange(-1000, 1000))
    .option('--max-attempts <n>', 'placements before the task fails (1-100, default 3)', positiveInt(100))
    .option('--label <k=v>', 'label, repeatable', collectLabel)
    .addOption(
      new Option('--network <mode>', 'sleeve network: none (default, loopback only), allowlist (only --allow hosts, via the node proxy), open').choices([
        'none',
        'allowlist',
        'open',
      ]),
    )
    .option('--allow <host[:port]>', 'egress allowlist entry, repeatable (implies --network allowlist)', collectAllow)
    .option('--memory <size>', "memory limit, e.g. 512m, 2g, or 'unlimited' (default 4g)", sizeMbOrUnlimited)
    .option('--cpus <n>', 'CPU limit in cores, e.g. 0.5 or 2', cpusAsPercent)
    .option('--max-procs <n>', "process limit, or 'unlimited' (default 1024)", positiveIntOrUnlimited(1_000_000))
    .option('--max-file-size <size>', "largest file a process may write, e.g. 100m (default 4g)", sizeMbOrUnlimited)
    .option('--max-open-files <n>', "open file limit, or 'unlimited' (default 4096)", positiveIntOrUnlimited(1_048_576))
    .option('--disk-quota <size>', 'workspace disk quota, e.g. 10g (default none)', sizeMbOrUnlimited)
    .addOption(new Option('--tier <tier>', 'risk tier; T2 and T3 snapshot the workspace before every iteration').choices([...TASK_TIERS]))
    .option('--wait', 'wait until the task ends; exit 0 only if it succeeded')
    .option('--follow', 'stream events and logs until the task ends; exit 0 only if it succeeded')
    .option('--json', 'print JSON (with --follow: one JSON object per line)')
    .addHelpText(
      'after',
      '\nPut -- before a prompt that has options of its own:  cortical run --wait -- ls -la\n' +
        'Durations: 250ms, 90s, 5m, 1h30m, 2h, 1d; a plain number is seconds.',
    )
    .action(async (words: string[], flags: RunFlags, cmd: Command) => {
      const request = await buildRequest(ctx.io, words, flags);
      const client = await ctx.client(cmd);
      const task = await client.createTask(request);
      if (flags.follow) {
        ctx.setExitCode(await follow(ctx.io, client, task, flags.json === true));
      } else if (flags.wait) {
        if (!flags.json) err(ctx.io, `submitted ${task.id}; waiting for it to end…`);
        ctx.setExitCode(finish(ctx.io, await waitForTask(ctx.io, client, task.id), flags.json === true));
      } else if (flags.json) {
        printJson(ctx.io, task);
      } else {
        out(ctx.io, task.id);
      }
    });
}

async function readPrompt(io: CliIo, words: string[], file: string | undefined): Promise<string> {
  if (file !== undefined) {
    if (words.length > 0) throw new CliUsageError('give the prompt either as words or with --prompt-file, not both');
    if (file === '-') {
      if (!io.readStdin) throw new CliUsageError('standard input is not available here');
      return io.readStdin();
    }
    const path = resolvePath(io, file);
    try {
      return await readFile(path, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read the prompt file ${path}: ${errorText(e)}`);
    }
  }
  return words.join(' ');
}

/** `--fallback codex` or `--fallback codex:gpt-5`, repeatable. */
function collectFallback(value: string, previous: { agent: string; model: string | null }[] | undefined): { agent: string; model: string | null }[] {
  const [agent = '', ...rest] = value.trim().split(':');
  const model = rest.join(':');
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(agent)) throw new InvalidArgumentError('expected agent or agent:model, e.g. codex or codex:gpt-5.');
  return [...(previous ?? []), { agent, model: model === '' ? null : model }];
}

/** `--check CMD`, repeatable, in order. */
function collectCheck(value: string, previous: string[] | undefined): string[] {
  if (value.trim() === '') throw new InvalidArgumentError('expected a shell command.');
  return [...(previous ?? []), value];
}

/**
 * The pipeline's checks: the task's `until` command first (named `until`) when there is one,
 * then each `--check` as `check-1`, `check-2`, …
 */
export function pipelineChecks(until: string | undefined, checks: readonly string[]): { name: string; command: string }[] {
  return [...(until === undefined ? [] : [{ name: 'until', command: until }]), ...checks.map((command, i) => ({ name: `check-${i + 1}`, command }))];
}

export async function buildRequest(io: CliIo, words: string[], f: RunFlags): Promise<TaskCreateRequest> {
  const prompt = await readPrompt(io, words, f.promptFile);
  if (prompt.trim() === '') {
    throw new CliUsageError('a prompt is required: cortical run [options] PROMPT…  (or --prompt-file FILE)');
  }
  if (f.baseRef !== undefined && f.repo === undefined) throw new CliUsageError('--base-ref needs --repo');
  if (f.promoteTo !== undefined && f.repo === undefined) throw new CliUsageError('--promote-to needs --repo (the task branch of that repository is promoted)');
  if (f.check !== undefined && f.promoteTo === undefined) throw new CliUsageError('--check needs --promote-to (checks run in the pipeline before promotion)');
  const mode = f.mode ?? (f.until !== undefined ? 'loop' : undefined);
  const req: TaskCreateRequest = {
    prompt,
    ...(f.agent !== undefined && { agent: f.agent }),
    ...(mode !== undefined && { mode }),
    ...(f.requires !== undefined && { requires: f.requires }),
    ...(f.repo !== undefined && { repo: { path: resolvePath(io, f.repo), baseRef: f.baseRef ?? null } }),
    ...(f.until !== undefined && { until: f.until }),
    ...(f.maxIterations !== undefined && { maxIterations: limitValue(f.maxIterations) }),
    ...(f.timeout !== undefined && { timeoutMs: f.timeout }),
    ...(f.iterationTimeout !== undefined && { iterationTimeoutMs: f.iterationTimeout }),
    ...(f.budgetTokens !== undefined && { budgetTokens: f.budgetTokens }),
    ...(f.budgetUsd !== undefined && { budgetUsd: f.budgetUsd }),
    ...(f.stuckAfter !== undefined && { stuckAfterIterations: f.stuckAfter }),
    ...(f.priority !== undefined && { priority: f.priority }),
    ...(f.maxAttempts !== undefined && { maxAttempts: f.maxAttempts }),
    ...(f.label !== undefined && { labels: f.label }),
    ...(f.network !== undefined && { network: f.network }),
    ...(f.allow !== undefined && { allow: f.allow }),
    ...(f.memory !== undefined && { memoryMb: limitValue(f.memory) }),
    ...(f.cpus !== undefined && { cpuPercent: f.cpus }),
    ...(f.maxProcs !== undefined && { maxProcesses: limitValue(f.maxProcs) }),
    ...(f.maxFileSize !== undefined && { maxFileSizeMb: limitValue(f.maxFileSize) }),
    ...(f.maxOpenFiles !== undefined && { maxOpenFiles: limitValue(f.maxOpenFiles) }),
    ...(f.diskQuota !== undefined && { diskQuotaMb: limitValue(f.diskQuota) }),
    ...(f.tier !== undefined && { tier: f.tier }),
    ...(f.project !== undefined && { project: f.project }),
    ...(f.model !== undefined && { model: f.model }),
    ...(f.fallback !== undefined && { fallbacks: f.fallback }),
    ...(f.promoteTo !== undefined && { pipeline: { targetBranch: f.promoteTo, checks: pipelineChecks(f.until, f.check ?? []) } }),
  };
  const checked = TaskCreateRequest.safeParse(req);
  if (!checked.success) throw new CliUsageError(`invalid task: ${z.prettifyError(checked.error)}`);
  return req;
}

/** Exit code and final output for a watched task. */
function finish(io: CliIo, result: WatchResult, json: boolean): number {
  if (result.interrupted || result.task === null) {
    err(io, 'interrupted; the task keeps running on HQ');
    return EXIT_INTERRUPTED;
  }
  if (json) printJson(io, result.task);
  else out(io, formatOutcome(result.task));
  return result.task.state === 'succeeded' ? EXIT_OK : EXIT_FAILURE;
}

async function follow(io: CliIo, client: ApiClient, task: TaskDto, json: boolean): Promise<number> {
  if (json) printJsonLine(io, { task });
  else out(io, `task ${task.id} submitted; following (Ctrl-C stops following, not the task)`);
  const result = await followTask(io, client, task.id, {
    onEvent: (event) => (json ? printJsonLine(io, { event }) : out(io, formatEvent(event))),
    onLog: (log) => (json ? printJsonLine(io, { log }) : out(io, formatLogLine(log))),
  });
  if (json && result.task !== null && !result.interrupted) {
    printJsonLine(io, { task: result.task });
    return result.task.state === 'succeeded' ? EXIT_OK : EXIT_FAILURE;
  }
  return finish(io, result, false);
}
