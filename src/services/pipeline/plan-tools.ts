import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Runtime } from '../../core/ports/runtime.js';
import type { SandboxSpec } from '../../core/sandbox.js';
import { pipelineEnv, runSleeveStep, type SleeveStepResult } from './sleeve-step.js';

/** What one tool call did in Green. */
export interface ToolOutcome {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly outputTail: string;
  readonly error: string | null;
  /** A limit, timeout or signal ended it: Green may be in any state. */
  readonly catastrophic: boolean;
}

export interface ToolContext {
  readonly runtime: Runtime;
  readonly greenDir: string;
  readonly stepTimeoutMs: number;
  readonly sandbox?: SandboxSpec | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Makes Green equal to the golden base again (factory_reset_t3); absent = the tool fails. */
  readonly resetGreen?: (() => Promise<void>) | undefined;
}

/** Where service_run_t1 records the service VERIFY starts (committed with Green). */
export const SERVICE_RECORD_PATH = '.cortical/service.json';
/** Where codegen_t0 records its prompts. */
export const CODEGEN_RECORD_PATH = '.cortical/codegen.jsonl';
/** The build script container_build_t1 runs when no container engine is available. */
export const BUILD_SCRIPT = 'build.sh';

const ok = (outputTail = ''): ToolOutcome => ({ ok: true, exitCode: 0, outputTail, error: null, catastrophic: false });
const fail = (error: string, outputTail = ''): ToolOutcome => ({ ok: false, exitCode: null, outputTail, error, catastrophic: false });

/**
 * Resolves `path` (relative to Green) to an absolute path inside Green, refusing absolute paths,
 * `..` escapes, `.git` and symlinks whose target lies outside Green.
 */
export async function resolveInGreen(greenDir: string, path: string): Promise<string> {
  if (path === '' || path.includes('\0')) throw new Error('a path is needed (relative to the workspace)');
  if (isAbsolute(path)) throw new Error(`path ${path} is absolute; only paths relative to the workspace are accepted`);
  const root = await realpath(greenDir);
  const full = resolve(root, path);
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new Error(`path ${path} escapes the workspace`);
  if (rel.split(sep).includes('.git')) throw new Error(`path ${path} is inside .git, which plan steps may not write`);
  // The deepest existing ancestor must resolve inside Green (no symlinked way out).
  let probe = full;
  for (;;) {
    try {
      const real = await realpath(probe);
      const r = relative(root, real);
      if (r.startsWith('..') || isAbsolute(r)) throw new Error(`path ${path} leads outside the workspace through a link`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const up = dirname(probe);
      if (up === probe) break;
      probe = up;
    }
  }
  return full;
}

async function writeInGreen(greenDir: string, path: string, content: string): Promise<ToolOutcome> {
  const full = await resolveInGreen(greenDir, path);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, content);
  return ok(`wrote ${Buffer.byteLength(content)} bytes to ${path}`);
}

/** Turns a finished sleeve into an outcome: nonzero, signal, limit or timeout fail the step. */
export function sleeveOutcome(r: SleeveStepResult): ToolOutcome {
  const limit = r.reason !== 'exit' && r.reason !== 'stopped' && r.reason !== 'killed_after_grace' && r.reason !== 'aborted';
  if (r.reason === 'timeout') return { ok: false, exitCode: r.exitCode, outputTail: r.outputTail, error: `timeout: ${r.detail ?? 'stuck process stopped'}`, catastrophic: true };
  if (r.reason === 'aborted') return { ok: false, exitCode: r.exitCode, outputTail: r.outputTail, error: 'aborted: the run was cancelled', catastrophic: true };
  if (limit) return { ok: false, exitCode: r.exitCode, outputTail: r.outputTail, error: `${r.reason}: ${r.detail ?? 'sandbox limit reached'}`, catastrophic: true };
  if (r.signal !== null) return { ok: false, exitCode: r.exitCode, outputTail: r.outputTail, error: `crashed: killed by ${r.signal}`, catastrophic: true };
  // A shell reports a child killed by signal N as exit code 128+N (139: SIGSEGV, 137: SIGKILL).
  if (r.exitCode !== null && r.exitCode > 128 && r.exitCode < 160) {
    return { ok: false, exitCode: r.exitCode, outputTail: r.outputTail, error: `crashed: exit code ${r.exitCode} (a process killed by signal ${r.exitCode - 128})`, catastrophic: true };
  }
  if (r.exitCode !== 0) return { ok: false, exitCode: r.exitCode, outputTail: r.outputTail, error: `exit code ${String(r.exitCode)}`, catastrophic: false };
  return { ok: true, exitCode: 0, outputTail: r.outputTail, error: null, catastrophic: false };
}

async function shell(ctx: ToolContext, command: string, timeoutMs: number, cwd = ctx.greenDir, stdin?: string, args?: readonly string[]): Promise<ToolOutcome> {
  const r = await runSleeveStep({
    runtime: ctx.runtime,
    command: args === undefined ? 'sh' : command,
    args: args ?? ['-c', command],
    cwd,
    env: pipelineEnv(ctx.greenDir),
    stdin,
    sandbox: ctx.sandbox,
    timeoutMs,
    signal: ctx.signal,
  });
  return sleeveOutcome(r);
}

const CRON_FIELDS: readonly [string, number, number][] = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 7],
];

/** Checks a 5-field cron schedule (numbers, `*`, ranges, steps, lists); returns the problems. */
export function cronScheduleProblems(schedule: string): string[] {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return [`a schedule has 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`];
  const problems: string[] = [];
  fields.forEach((f, i) => {
    const [name, lo, hi] = CRON_FIELDS[i] ?? ['field', 0, 0];
    for (const part of f.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      if (m === null) {
        problems.push(`${name} "${part}" is not a number, *, a range a-b or a step x/n`);
        continue;
      }
      const nums = [m[2], m[3]].filter((x): x is string => x !== undefined).map(Number);
      if (nums.some((n) => n < lo || n > hi)) problems.push(`${name} "${part}" is outside ${lo}-${hi}`);
      if (nums.length === 2 && (nums[0] ?? 0) > (nums[1] ?? 0)) problems.push(`${name} range "${part}" runs backwards`);
      if (m[4] !== undefined && Number(m[4]) === 0) problems.push(`${name} step "${part}" is zero`);
    }
  });
  return problems;
}

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function need(args: Readonly<Record<string, string>>, name: string): string {
  const v = args[name];
  if (v === undefined || v === '') throw new Error(`argument ${name} is required`);
  return v;
}

/** Runs one tool call in Green. Never touches anything outside `ctx.greenDir`. */
export async function runTool(ctx: ToolContext, tool: string, args: Readonly<Record<string, string>>): Promise<ToolOutcome> {
  try {
    switch (tool) {
      case 'read_file': {
        const full = await resolveInGreen(ctx.greenDir, need(args, 'path'));
        const text = await readFile(full, 'utf8');
        return ok(text.slice(-4000));
      }
      case 'codegen_t0': {
        const line = `${JSON.stringify({ prompt: need(args, 'prompt') })}\n`;
        const full = await resolveInGreen(ctx.greenDir, CODEGEN_RECORD_PATH);
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, line, { flag: 'a' });
        return ok('prompt recorded');
      }
      case 'write_file':
      case 'config_update_t2':
        return await writeInGreen(ctx.greenDir, need(args, 'path'), args['content'] ?? '');
      case 'run_command':
      case 'db_migrate_t2': {
        const asked = args['timeout_ms'] !== undefined ? Number(args['timeout_ms']) : ctx.stepTimeoutMs;
        const timeoutMs = Number.isFinite(asked) && asked > 0 ? Math.min(asked, ctx.stepTimeoutMs) : ctx.stepTimeoutMs;
        return await shell(ctx, need(args, 'command'), timeoutMs);
      }
      case 'apply_patch_t1':
        return await shell(ctx, 'git', ctx.stepTimeoutMs, ctx.greenDir, need(args, 'patch'), ['apply', '--whitespace=nowarn', '-']);
      case 'cron_entry_t1': {
        const name = need(args, 'name');
        if (!NAME_RE.test(name)) return fail(`cron entry name "${name}" must be lower case letters, digits, _ and - (at most 64)`);
        const schedule = need(args, 'schedule').trim();
        const problems = cronScheduleProblems(schedule);
        if (problems.length > 0) return fail(`invalid cron schedule "${schedule}": ${problems.join('; ')}`);
        const command = need(args, 'command');
        if (/[\r\n]/.test(command)) return fail('a cron command is one line');
        return await writeInGreen(ctx.greenDir, join('cron.d', name), `${schedule.split(/\s+/).join(' ')} ${command}\n`);
      }
      case 'service_run_t1': {
        const record = { command: need(args, 'command'), portEnv: args['port_env'] ?? 'PORT', healthPath: args['health_path'] ?? '/healthz' };
        return await writeInGreen(ctx.greenDir, SERVICE_RECORD_PATH, `${JSON.stringify(record, null, 2)}\n`);
      }
      case 'container_build_t1': {
        const context = await resolveInGreen(ctx.greenDir, need(args, 'context') === '.' ? BUILD_SCRIPT : join(need(args, 'context'), BUILD_SCRIPT));
        const script = await stat(context).catch(() => null);
        if (script === null || !script.isFile()) {
          return fail(`no container engine is available to the pipeline; provide ${BUILD_SCRIPT} in the build context to build without one`);
        }
        return await shell(ctx, `sh ${BUILD_SCRIPT}`, ctx.stepTimeoutMs, dirname(context));
      }
      case 'factory_reset_t3':
        if (ctx.resetGreen === undefined) return fail('factory reset needs the golden base, which this run did not provide');
        await ctx.resetGreen();
        return ok('Green reset to the golden base');
      default:
        return fail(`unknown tool ${tool}`);
    }
  } catch (e) {
    return fail((e as Error).message);
  }
}
