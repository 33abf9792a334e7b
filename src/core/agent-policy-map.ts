/**
 * Tool policy for agents other than the built-in one: an external CLI's tool call (Claude Code's
 * `Read`, `Bash`, `WebFetch` …) or the `shell` agent's command is mapped onto the built-in
 * agent's tool classes (src/core/tool-policy.ts) and decided with the task's policy and the fleet
 * lockdown (while it is on, every T2 and T3 call is refused).
 *
 *   Read, Glob, Grep, LS, NotebookRead        → read_file / search / list_files (T0, path checked)
 *   Write, Edit, MultiEdit, NotebookEdit       → write_file / edit_file (T1, `file_path` checked)
 *   Bash                                       → run_command with its `command` (T1 … T3)
 *   WebFetch, WebSearch                        → network (T2: allowed above a T1 policy only by
 *                                                an allow pattern matching the URL or query)
 *   TodoWrite, Task, BashOutput, ExitPlanMode … → agent bookkeeping (T0, nothing to check)
 *   anything else                              → unknown (T3), as `classifyCall` does
 *
 * Pure: no Node builtins, no I/O.
 */
import { decide, firstMatchingPattern, tierAbove, type ToolCallRequest, type ToolPolicy, type ToolPolicyContext, type ToolTier } from './tool-policy.js';

/** What a decision was about: an agent's tool call, or a command the node runs for a task. */
export type PolicySubject = 'tool_call' | 'command';

/** One decision, as reported to HQ (event `policy.decision`). */
export interface AgentPolicyDecision {
  readonly subject: PolicySubject;
  /** The agent (driver) whose call it was: `claude`, `shell`, `builtin` … */
  readonly agent: string;
  /** The tool as the agent named it (`Bash`, `Write`, `run_command`). */
  readonly tool: string;
  readonly tier: ToolTier;
  readonly allowed: boolean;
  /** Why it was refused; for an allowed call, what it was classified as. */
  readonly reason: string;
}

/** The rules a call is decided by: the task's policy and the fleet lockdown as it is now. */
export interface AgentPolicyRules {
  readonly policy: ToolPolicy;
  readonly lockdown: boolean;
}

/**
 * Where drivers get the rules for a task and report their decisions (the node implements it; see
 * src/services/node/policy-decision-log.ts). Absent on a driver: no policy is enforced beyond the
 * sleeve.
 */
export interface AgentPolicyGate {
  rulesFor(taskId: string): AgentPolicyRules;
  record(taskId: string, iteration: number, decision: AgentPolicyDecision): void;
}

/** Claude Code tools that only touch the agent's own state (todo list, sub-agents whose calls are checked on their own, background output). */
const BOOKKEEPING_TOOLS = new Set(['TodoWrite', 'TodoRead', 'Task', 'Agent', 'BashOutput', 'ExitPlanMode', 'EnterPlanMode', 'SlashCommand', 'Skill', 'AskUserQuestion', 'ListMcpResourcesTool']);
const NETWORK_TOOLS = new Set(['WebFetch', 'WebSearch']);

/** A mapped call: a built-in tool request, agent bookkeeping, or a network request. */
export type MappedCall =
  | { readonly kind: 'tool'; readonly request: ToolCallRequest }
  | { readonly kind: 'bookkeeping' }
  | { readonly kind: 'network'; readonly texts: readonly string[] };

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Only the defined arguments (a path left out is not checked against the roots). */
function args(entries: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return out;
}

/** A Claude Code tool call (`tool_name`, `tool_input` of its PreToolUse hook) as a policy call. */
export function mapClaudeToolCall(name: string, input: Readonly<Record<string, unknown>>): MappedCall {
  switch (name) {
    case 'Read':
    case 'NotebookRead':
      return { kind: 'tool', request: { name: 'read_file', args: args({ path: str(input.file_path) ?? str(input.notebook_path) ?? '' }) } };
    case 'Glob':
    case 'Grep':
      return { kind: 'tool', request: { name: 'search', args: args({ path: str(input.path), pattern: str(input.pattern) }) } };
    case 'LS':
      return { kind: 'tool', request: { name: 'list_files', args: args({ path: str(input.path) }) } };
    case 'Write':
      return { kind: 'tool', request: { name: 'write_file', args: args({ path: str(input.file_path) ?? '' }) } };
    case 'Edit':
    case 'MultiEdit':
      return { kind: 'tool', request: { name: 'edit_file', args: args({ path: str(input.file_path) ?? '' }) } };
    case 'NotebookEdit':
      return { kind: 'tool', request: { name: 'edit_file', args: args({ path: str(input.notebook_path) ?? str(input.file_path) ?? '' }) } };
    case 'Bash':
      return { kind: 'tool', request: { name: 'run_command', args: args({ command: str(input.command) ?? '' }) } };
    case 'KillShell':
    case 'KillBash':
      return { kind: 'tool', request: { name: 'run_command', args: { command: 'kill' } } };
    default:
      if (NETWORK_TOOLS.has(name)) return { kind: 'network', texts: [str(input.url), str(input.query)].filter((t): t is string => t !== undefined) };
      if (BOOKKEEPING_TOOLS.has(name)) return { kind: 'bookkeeping' };
      return { kind: 'tool', request: { name, args: {} } };
  }
}

export type PolicyVerdict = { readonly allowed: boolean; readonly tier: ToolTier; readonly reason: string };

function lockdownRefuses(tier: ToolTier, rules: AgentPolicyRules): boolean {
  return rules.lockdown && tierAbove(tier, 'T1');
}

const LOCKDOWN_REASON = 'the fleet is locked down: T2 and T3 calls are refused';

/** Decides a mapped call with the task's policy and the lockdown. */
export function decideMapped(call: MappedCall, rules: AgentPolicyRules, ctx: ToolPolicyContext): PolicyVerdict {
  if (call.kind === 'bookkeeping') return { allowed: true, tier: 'T0', reason: 'agent bookkeeping' };
  if (call.kind === 'network') {
    const tier: ToolTier = 'T2';
    const denied = firstMatchingPattern(rules.policy.deny, call.texts);
    if (denied !== null) return { allowed: false, tier, reason: `matches deny pattern ${JSON.stringify(denied)}` };
    if (lockdownRefuses(tier, rules)) return { allowed: false, tier, reason: LOCKDOWN_REASON };
    if (tierAbove(tier, rules.policy.maxTier) && firstMatchingPattern(rules.policy.allow, call.texts) === null) {
      return { allowed: false, tier, reason: `network access is T2, above the policy's maximum ${rules.policy.maxTier}` };
    }
    return { allowed: true, tier, reason: 'network access' };
  }
  const d = decide(rules.policy, call.request, ctx);
  if (!d.allowed) return { allowed: false, tier: d.tier, reason: d.reason };
  if (lockdownRefuses(d.tier, rules)) return { allowed: false, tier: d.tier, reason: LOCKDOWN_REASON };
  return { allowed: true, tier: d.tier, reason: `${call.request.name} is ${d.tier}` };
}

/** A Claude Code tool call decided: the whole path from hook input to decision. */
export function decideClaudeToolCall(name: string, input: Readonly<Record<string, unknown>>, rules: AgentPolicyRules, ctx: ToolPolicyContext): AgentPolicyDecision {
  const v = decideMapped(mapClaudeToolCall(name, input), rules, ctx);
  return { subject: 'tool_call', agent: 'claude', tool: name, ...v };
}

/** A shell command the node is about to run for a task (the `shell` agent's prompt). */
export function decideCommand(agent: string, command: string, rules: AgentPolicyRules, ctx: ToolPolicyContext): AgentPolicyDecision {
  const v = decideMapped({ kind: 'tool', request: { name: 'run_command', args: { command } } }, rules, ctx);
  return { subject: 'command', agent, tool: 'run_command', ...v };
}

/**
 * Whether a decision is reported one by one: every denial and every T2/T3 decision is; allowed
 * T0/T1 decisions are only counted (one summary per iteration), so a busy agent does not flood
 * the audit log with file reads.
 */
export function reportedSingly(d: Pick<AgentPolicyDecision, 'allowed' | 'tier'>): boolean {
  return !d.allowed || tierAbove(d.tier, 'T1');
}
