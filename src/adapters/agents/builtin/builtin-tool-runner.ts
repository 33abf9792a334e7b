/**
 * Runs one tool call of the built-in agent: parses its arguments, asks the tool policy
 * (src/core/tool-policy.ts, with the fleet lockdown as src/core/agent-policy-map.ts applies it to
 * every agent: while it is on, T2 and T3 calls are refused whatever the policy allows), checks that path arguments do not leave the roots through a symbolic
 * link, runs the tool and truncates its output. A refused call never runs.
 */
import { realpathSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { decideMapped, type PolicyVerdict } from '../../../core/agent-policy-map.js';
import type { FileChangeKind } from '../../../core/ports/agent-driver.js';
import { isInside, policyRoots, relativeInside, resolvePosixPath, type ToolPolicy, type ToolTier } from '../../../core/tool-policy.js';
import { runCommandTool } from './builtin-command-tool.js';
import { diffSnapshots, snapshotTree } from './builtin-workspace-snapshot.js';
import { editFileTool, fail, listFilesTool, readFileTool, searchTool, writeFileTool, type ToolOutcome } from './builtin-file-tools.js';

export interface ToolRunnerOptions {
  readonly workspace: string;
  readonly policy: ToolPolicy;
  /** The fleet lockdown: T2 and T3 calls are refused even where the policy would allow them. Default off. */
  readonly lockdown?: boolean;
  /** Environment of commands (without the endpoint key). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly commandTimeoutMs: number;
  readonly maxOutputChars: number;
}

export interface ToolRunResult {
  readonly ok: boolean;
  readonly output: string;
  /** Changed files inside the workspace, relative to it. */
  readonly changes: readonly { readonly path: string; readonly change: FileChangeKind }[];
  /** Set when the policy refused the call. */
  readonly denied?: { readonly tier: ToolTier; readonly reason: string };
  /** The policy's decision on the call (absent when its arguments could not be read, so nothing was decided). */
  readonly decision?: PolicyVerdict;
}

/** `text` cut to `max` characters, keeping its head and tail. */
export function truncateOutput(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = `\n… ${text.length - max} characters cut …\n`;
  const keep = Math.max(0, max - marker.length);
  const head = Math.ceil(keep * 0.6);
  return `${text.slice(0, head)}${marker}${text.slice(text.length - (keep - head))}`;
}

/** The real path of `abs` (its deepest existing ancestor resolved through symbolic links). */
export function realPathOf(abs: string): string {
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return [realpathSync(cur), ...rest].reduce((a, b) => join(a, b));
    } catch {
      if (cur === '/' || cur === '') return abs;
      rest.unshift(basename(cur));
      cur = dirname(cur);
    }
  }
}

export function parseToolArgs(argsText: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(argsText.trim() === '' ? '{}' : argsText);
  } catch (e) {
    return `the arguments are not valid JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : 'the arguments must be a JSON object';
}

/** A refused call: it never ran. */
function denied(tier: ToolTier, reason: string): ToolRunResult {
  return { ok: false, output: `denied by policy: ${reason}`, changes: [], denied: { tier, reason }, decision: { allowed: false, tier, reason } };
}

export class ToolRunner {
  private readonly roots: string[];
  private readonly realRoots: string[];

  constructor(private readonly opts: ToolRunnerOptions) {
    this.roots = policyRoots(opts.policy, { workspace: opts.workspace });
    this.realRoots = this.roots.map(realPathOf);
  }

  async run(name: string, argsText: string): Promise<ToolRunResult> {
    const args = parseToolArgs(argsText);
    if (typeof args === 'string') return this.finish(fail(`${name}: ${args}`));
    const rules = { policy: this.opts.policy, lockdown: this.opts.lockdown === true };
    const verdict = decideMapped({ kind: 'tool', request: { name, args } }, rules, { workspace: this.opts.workspace });
    if (!verdict.allowed) return denied(verdict.tier, verdict.reason);
    const linkEscape = this.linkEscape(args);
    if (linkEscape !== null) return denied(verdict.tier, linkEscape);
    let outcome: ToolOutcome;
    try {
      outcome = await this.execute(name, args);
    } catch (e) {
      outcome = fail(`${name} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { ...this.finish(outcome), decision: verdict };
  }

  private abs(value: unknown, fallback = '.'): string {
    return resolvePosixPath(this.opts.workspace, typeof value === 'string' && value !== '' ? value : fallback);
  }

  /** A path argument whose real path (symbolic links followed) lies outside the roots. */
  private linkEscape(args: Readonly<Record<string, unknown>>): string | null {
    for (const key of ['path', 'cwd']) {
      if (typeof args[key] !== 'string') continue;
      const real = realPathOf(this.abs(args[key]));
      if (!this.realRoots.some((r) => isInside(real, r))) return `${key} ${JSON.stringify(args[key])} leads through a symbolic link to ${real}, outside the allowed roots`;
    }
    return null;
  }

  private execute(name: string, args: Readonly<Record<string, unknown>>): Promise<ToolOutcome> {
    const path = this.abs(args.path);
    switch (name) {
      case 'read_file':
        return typeof args.path === 'string' ? readFileTool(path, args) : Promise.resolve(fail('read_file needs a path'));
      case 'write_file':
        return typeof args.path === 'string' ? writeFileTool(path, args) : Promise.resolve(fail('write_file needs a path'));
      case 'edit_file':
        return typeof args.path === 'string' ? editFileTool(path, args) : Promise.resolve(fail('edit_file needs a path'));
      case 'list_files':
        return listFilesTool(path, args);
      case 'search':
        return searchTool(path, args);
      case 'run_command': {
        if (typeof args.command !== 'string' || args.command.trim() === '') return Promise.resolve(fail('run_command needs a command'));
        return this.command(args.command, args);
      }
      default:
        return Promise.resolve(fail(`unknown tool ${name}`));
    }
  }

  /** Runs a command and reports the workspace files it changed. */
  private async command(command: string, args: Readonly<Record<string, unknown>>): Promise<ToolOutcome> {
    const asked = typeof args.timeout_ms === 'number' && args.timeout_ms > 0 ? args.timeout_ms : this.opts.commandTimeoutMs;
    const workspace = resolvePosixPath('/', this.opts.workspace);
    const before = await snapshotTree(workspace);
    const outcome = await runCommandTool(command, {
      cwd: this.abs(args.cwd),
      env: this.opts.env,
      timeoutMs: Math.min(asked, this.opts.commandTimeoutMs),
      maxChars: this.opts.maxOutputChars,
    });
    const after = before === null ? null : await snapshotTree(workspace);
    return after === null || before === null ? outcome : { ...outcome, changes: diffSnapshots(before, after) };
  }

  private finish(outcome: ToolOutcome): ToolRunResult {
    const workspace = resolvePosixPath('/', this.opts.workspace);
    const changes = outcome.changes.flatMap((c) => {
      const rel = relativeInside(c.path, workspace);
      return rel === null || rel === '' ? [] : [{ path: rel, change: c.change }];
    });
    return { ok: outcome.ok, output: truncateOutput(outcome.output, this.opts.maxOutputChars), changes };
  }
}
