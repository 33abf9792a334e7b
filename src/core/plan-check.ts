/**
 * A plan checked against a safety policy. Per step: the tool must be in the catalog and its
 * arguments must fit it (else the step is untypeable); every argument value is matched against
 * `denied_args` (deny wins) and, when it has any, `allowed_args`; path arguments must resolve
 * inside `fs_roots`; URLs and the hosts of `curl`/`wget` in commands must be allowed by
 * `net_allowed`/`net_allowlist`; the step's tier is the tool's, raised by what its `command`
 * does (the built-in agent's classifier); during lockdown T2 and T3 steps are refused. For the
 * whole plan: the step count, the highest tier, and whether a snapshot or a tripcode is needed.
 *
 * Pure and deterministic: arguments are visited in name order.
 */
import { tierAtLeast, tierRank, type CapabilityTier, type Plan } from './plan-steps.js';
import { findToolRule, type SafetyPolicy, type ToolRule } from './safety-policy.js';
import { classifyCall, firstMatchingPattern, isInside, resolvePosixPath } from './tool-policy.js';

export interface PlanCheckContext {
  /** The workspace, absolute: relative paths and relative `fs_roots` resolve against it. */
  readonly workspace: string;
  /** While on, T2 and T3 steps are refused. */
  readonly lockdown?: boolean;
}

export interface StepCheck {
  readonly index: number;
  readonly tool: string;
  readonly tier: CapabilityTier;
  /** The tool is known and the arguments fit it. */
  readonly typeable: boolean;
  readonly allowed: boolean;
  /** Why the step is refused (empty when allowed). */
  readonly reasons: string[];
  /** Why the step has its tier when a command raised it; hosts reached on loopback. */
  readonly notes: string[];
}

export interface PlanCheck {
  readonly typeable: boolean;
  readonly allowed: boolean;
  readonly maxTier: CapabilityTier;
  readonly needsSnapshot: boolean;
  readonly needsTripcode: boolean;
  readonly steps: StepCheck[];
  /** Every reason the plan is refused: the plan's own, then each step's (`step 2 (write_file): …`). */
  readonly problems: string[];
}

/** Arguments whose values are paths. */
export const PATH_ARGS: readonly string[] = ['path', 'cwd', 'context'];
/** Arguments whose values are shell lines (classified; `curl`/`wget` hosts checked). */
export const COMMAND_ARGS: readonly string[] = ['command'];

const isUrlArg = (name: string): boolean => name === 'url' || name.endsWith('_url');

/** Value formats some argument names promise, with what is accepted. */
const ARG_FORMATS: readonly { readonly test: (name: string) => boolean; readonly re: RegExp; readonly accepted: string }[] = [
  { test: (n) => n.endsWith('_ms') || n.endsWith('_sec'), re: /^\d{1,12}$/, accepted: 'a whole number' },
  { test: (n) => n === 'schedule', re: /^(?:@(?:yearly|annually|monthly|weekly|daily|midnight|hourly)|(?:[\d*/,A-Za-z-]+\s+){4}[\d*/,A-Za-z-]+)$/, accepted: 'a five-field cron schedule or @hourly/@daily/@weekly/@monthly/@yearly' },
  { test: (n) => n === 'name', re: /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, accepted: 'a plain file name (letters, digits, . _ -)' },
  { test: (n) => n === 'port_env', re: /^[A-Z_][A-Z0-9_]{0,63}$/, accepted: 'an environment variable name (A-Z, 0-9, _)' },
  { test: (n) => n === 'health_path', re: /^\/[^\s]*$/, accepted: 'a URL path starting with /' },
];

function short(text: string, max = 80): string {
  const one = text.replace(/\s+/g, ' ');
  return JSON.stringify(one.length <= max ? one : `${one.slice(0, max - 1)}…`);
}

function maxOf(a: CapabilityTier, b: CapabilityTier): CapabilityTier {
  return tierRank(b) > tierRank(a) ? b : a;
}

interface Host {
  readonly host: string;
  readonly port: string | null;
}

/** The host (lower case) and port of `scheme://[user@]host[:port]…`, or of `host[:port][/…]`. */
export function parseHost(text: string): Host | null {
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/?#\s]*@)?(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?(?:[/?#]|$)/i.exec(text.trim());
  if (m === null || m[1] === undefined) return null;
  return { host: m[1].toLowerCase(), port: m[2] ?? null };
}

const LOOPBACK = /^(?:localhost|[a-z0-9.-]+\.localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1|0\.0\.0\.0)$/;

const COMMON_VALUE_OPTIONS = ['-H', '--header', '-e', '--referer', '-t', '-T', '--timeout', '--cacert', '--certificate', '--cert', '--key', '--config', '--user-agent', '-U', '-A', '--user', '-u', '--password'];
/** Options that take a value (the next word is not a URL), per program. */
const VALUE_OPTIONS: Readonly<Record<'curl' | 'wget', ReadonlySet<string>>> = {
  curl: new Set([...COMMON_VALUE_OPTIONS, '-o', '--output', '-d', '--data', '--data-raw', '--data-binary', '--data-urlencode', '-X', '--request', '-b', '--cookie', '-c', '--cookie-jar', '-F', '--form', '--upload-file', '-m', '--max-time', '--connect-timeout', '-w', '--write-out', '-x', '--proxy', '-K', '--resolve', '-r', '--range']),
  wget: new Set([...COMMON_VALUE_OPTIONS, '-o', '--output-file', '-O', '--output-document', '-P', '--directory-prefix', '--tries', '-e', '--execute', '--post-data', '--post-file', '-i', '--input-file']),
};

/** Hosts a shell line reaches with curl or wget (best effort: the sleeve's network policy is the boundary). */
export function commandHosts(command: string): Host[] {
  const hosts: Host[] = [];
  const seg = /(?:^|[\s;&|(`])(?:[\w./-]*\/)?(curl|wget)\s+([^;&|\n)`]*)/g;
  for (let m = seg.exec(command); m !== null; m = seg.exec(command)) {
    const valueOptions = VALUE_OPTIONS[m[1] === 'wget' ? 'wget' : 'curl'];
    const words = (m[2] ?? '').split(/\s+/).map((w) => w.replace(/^['"]|['"]$/g, '')).filter((w) => w !== '');
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (w.startsWith('>') || w.startsWith('<')) break;
      if (w.startsWith('-')) {
        // An option's value is skipped, unless it is plainly a URL (then it is checked anyway).
        if (valueOptions.has(w) && !(words[i + 1] ?? '').includes('://')) i++;
        continue;
      }
      const looksLikeUrl = w.includes('://') || /^(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:\/|$)/i.test(w) || /^localhost(?::\d+)?(?:\/|$)/.test(w) || /^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?:\/|$)/.test(w);
      const h = looksLikeUrl ? parseHost(w) : null;
      if (h !== null) hosts.push(h);
    }
  }
  return hosts;
}

function hostAllowed(h: Host, allowlist: readonly string[]): boolean {
  return allowlist.some((entry) => {
    const [pattern = '', port] = entry.split(':');
    if (port !== undefined && port !== h.port) return false;
    return pattern.startsWith('*.') ? h.host.endsWith(pattern.slice(1)) : h.host === pattern;
  });
}

function checkArgs(rule: ToolRule, args: Readonly<Record<string, string>>, names: readonly string[]): string[] {
  const reasons: string[] = [];
  const takes = [...rule.requiredArgs, ...rule.optionalArgs];
  const takesText = takes.length === 0 ? 'no arguments' : takes.join(', ');
  for (const r of rule.requiredArgs) if (!Object.hasOwn(args, r)) reasons.push(`missing argument ${JSON.stringify(r)} (${rule.name} takes ${takesText})`);
  for (const n of names) {
    if (!takes.includes(n)) {
      reasons.push(`unknown argument ${JSON.stringify(n)} (${rule.name} takes ${takesText})`);
      continue;
    }
    const value = args[n];
    if (typeof value !== 'string') {
      reasons.push(`argument ${JSON.stringify(n)} is not a string`);
      continue;
    }
    const format = ARG_FORMATS.find((f) => f.test(n));
    if (format !== undefined && !format.re.test(value)) reasons.push(`argument ${JSON.stringify(n)} is ${short(value)}; accepted: ${format.accepted}`);
  }
  return reasons;
}

function checkStep(policy: SafetyPolicy, index: number, step: Plan['steps'][number], ctx: PlanCheckContext): StepCheck {
  const rule = findToolRule(policy, step.tool);
  const args: Readonly<Record<string, string>> = step.args ?? {};
  if (rule === null) {
    const known = policy.tools.map((t) => t.name).join(', ');
    return { index, tool: step.tool, tier: 'T3', typeable: false, allowed: false, reasons: [`unknown tool ${JSON.stringify(step.tool)}; the policy's tools: ${known === '' ? 'none' : known}`], notes: [] };
  }
  const names = Object.keys(args).sort();
  const typeReasons = checkArgs(rule, args, names);
  const reasons = [...typeReasons];
  const notes: string[] = [];
  const present = names.filter((n) => typeof args[n] === 'string');

  for (const n of present) {
    const denied = firstMatchingPattern(rule.deniedArgs, [args[n]!], true);
    if (denied !== null) reasons.push(`argument ${JSON.stringify(n)} matches denied pattern ${JSON.stringify(denied)}`);
  }
  if (rule.allowedArgs.length > 0) {
    for (const n of present) {
      if (firstMatchingPattern(rule.allowedArgs, [args[n]!], false) === null) reasons.push(`argument ${JSON.stringify(n)} = ${short(args[n]!)} matches none of the allowed patterns (${rule.allowedArgs.join(', ')})`);
    }
  }

  const workspace = resolvePosixPath('/', ctx.workspace);
  const roots = rule.fsRoots.length === 0 ? [workspace] : rule.fsRoots.map((r) => resolvePosixPath(workspace, r));
  for (const n of present.filter((a) => PATH_ARGS.includes(a))) {
    const value = args[n]!;
    if (value === '' || value.includes('\0')) {
      reasons.push(`argument ${JSON.stringify(n)} is not a path`);
      continue;
    }
    const resolved = resolvePosixPath(workspace, value);
    if (!roots.some((r) => isInside(resolved, r))) reasons.push(`argument ${JSON.stringify(n)} = ${short(value)} resolves to ${resolved}, outside the allowed roots (${roots.join(', ')})`);
  }

  const hosts: { arg: string; host: Host }[] = [];
  for (const n of present) {
    if (isUrlArg(n)) {
      const h = parseHost(args[n]!);
      if (h === null) reasons.push(`argument ${JSON.stringify(n)} = ${short(args[n]!)} is not a URL`);
      else hosts.push({ arg: n, host: h });
    }
    if (COMMAND_ARGS.includes(n)) for (const h of commandHosts(args[n]!)) hosts.push({ arg: n, host: h });
  }
  for (const { arg, host } of hosts) {
    const where = `${host.host}${host.port === null ? '' : `:${host.port}`}`;
    if (LOOPBACK.test(host.host)) notes.push(`argument ${JSON.stringify(arg)} reaches ${where} (loopback, always allowed)`);
    else if (!rule.netAllowed) reasons.push(`argument ${JSON.stringify(arg)} reaches ${where}, but ${rule.name} has no network (net_allowed: false)`);
    else if (rule.netAllowlist.length > 0 && !hostAllowed(host, rule.netAllowlist)) reasons.push(`argument ${JSON.stringify(arg)} reaches ${where}, which is not in ${rule.name}'s net_allowlist (${rule.netAllowlist.join(', ')})`);
  }

  let tier = rule.tier;
  for (const n of present.filter((a) => COMMAND_ARGS.includes(a))) {
    const c = classifyCall('run_command', { command: args[n] });
    if (tierRank(c.tier) > tierRank(tier)) notes.push(`argument ${JSON.stringify(n)} is ${c.tier} (${c.why}), above ${rule.name}'s ${rule.tier}`);
    tier = maxOf(tier, c.tier);
  }
  if (ctx.lockdown === true && tierAtLeast(tier, 'T2')) reasons.push(`lockdown: ${tier} steps are refused until the lockdown ends`);

  return { index, tool: step.tool, tier, typeable: typeReasons.length === 0, allowed: reasons.length === 0, reasons, notes };
}

/** Checks `plan` against `policy`. Pure and deterministic. */
export function checkPlan(policy: SafetyPolicy, plan: Plan, ctx: PlanCheckContext): PlanCheck {
  const steps = plan.steps.map((s, i) => checkStep(policy, i, s, ctx));
  const planProblems: string[] = [];
  if (steps.length === 0) planProblems.push('a plan needs at least one step');
  if (steps.length > policy.plan.maxSteps) planProblems.push(`the plan has ${steps.length} steps; the policy allows at most ${policy.plan.maxSteps}`);
  const maxTier = steps.reduce<CapabilityTier>((t, s) => maxOf(t, s.tier), 'T0');
  const problems = [...planProblems, ...steps.flatMap((s) => s.reasons.map((r) => `step ${s.index + 1} (${s.tool}): ${r}`))];
  const typeable = steps.length > 0 && steps.every((s) => s.typeable);
  return {
    typeable,
    allowed: typeable && planProblems.length === 0 && steps.every((s) => s.allowed),
    maxTier,
    needsSnapshot: tierAtLeast(maxTier, policy.plan.snapshotForTierGe),
    needsTripcode: tierAtLeast(maxTier, policy.plan.tripcodeForTierGe),
    steps,
    problems,
  };
}
