/**
 * The safety policy: what plan steps may do. A policy names a catalog of tools (each with its
 * capability tier, its arguments, argument patterns, resource limits, network rules, rate limits
 * and file-system roots), the rules for a whole plan (steps, parallelism, the tiers that need a
 * snapshot or a tripcode) and the pre/postcondition thresholds. It mirrors the Bridge API's
 * `ToolPolicy` and `PlanPolicy` messages; policy files use their snake_case names
 * (`policies/default.yaml`, `docs/policy.md`), the types here are camelCase.
 *
 * Tiers: T0 read-only · T1 writes in the workspace · T2 system changes, after a snapshot ·
 * T3 destructive or sensitive, with a tripcode.
 *
 * Validation is a field table here rather than a zod schema: core imports no packages. Every
 * problem is reported with its path, what was wrong and what is accepted.
 *
 * Pure: no Node builtins, no I/O.
 */
import { CAPABILITY_TIERS, MAX_PLAN_STEPS_HARD, type CapabilityTier } from './plan-steps.js';
import { compilePattern, resolvePosixPath, isInside } from './tool-policy.js';

export interface ToolRule {
  readonly name: string;
  readonly description: string;
  readonly tier: CapabilityTier;
  /** Arguments a step must give. */
  readonly requiredArgs: readonly string[];
  /** Arguments a step may give; any other argument makes the step untypeable. */
  readonly optionalArgs: readonly string[];
  /** When not empty, every argument value must match one of these (glob or `/regex/flags`). */
  readonly allowedArgs: readonly string[];
  /** An argument value matching one of these denies the step (deny wins over allow). */
  readonly deniedArgs: readonly string[];
  readonly cpuMillicores: number;
  readonly memMb: number;
  readonly ioWriteMb: number;
  readonly netAllowed: boolean;
  /** Hosts (`example.com`, `*.example.com`) the tool may reach when `netAllowed`; empty = any. */
  readonly netAllowlist: readonly string[];
  /** Calls per sliding minute; 0 = no limit. */
  readonly rateLimitPerMin: number;
  /** Seconds between two calls; 0 = none. */
  readonly cooldownSec: number;
  /** Directories path arguments must stay inside: absolute, or relative to the workspace; empty = the workspace. */
  readonly fsRoots: readonly string[];
}

export interface PlanRules {
  readonly maxSteps: number;
  readonly maxParallel: number;
  readonly snapshotForTierGe: CapabilityTier;
  readonly tripcodeForTierGe: CapabilityTier;
}

export interface ConditionRules {
  /** Postcondition: health must have been green at least this long. */
  readonly healthGreenSec: number;
  /** Precondition: free disk space needed, in MiB. */
  readonly diskHeadroomMb: number;
  /** Postcondition: none of these may appear in the logs (case-insensitive). */
  readonly policyWords: readonly string[];
  /** Precondition: a dry-run diff must exist. */
  readonly requireDryRunDiff: boolean;
}

export interface SafetyPolicy {
  readonly version: 1;
  readonly name: string;
  readonly description: string;
  readonly tools: readonly ToolRule[];
  readonly plan: PlanRules;
  readonly conditions: ConditionRules;
}

export type SafetyPolicyParse = { readonly ok: true; readonly policy: SafetyPolicy } | { readonly ok: false; readonly problems: string[] };

/** One problem: where (a path of keys and indexes in the file's own snake_case names) and what. */
export interface SafetyPolicyIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const UINT32_MAX = 4_294_967_295;
const NAME_RE = /^[a-z][a-z0-9_.-]*$/;
const ARG_NAME_RE = /^[a-z][a-z0-9_]*$/;
const HOST_RE = /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$/;

export const DEFAULT_POLICY_WORDS: readonly string[] = ['FATAL', 'panic', 'denied', 'Traceback', 'segmentation fault'];

/** A field of the file format: its key, kind, limits and default (absent = required). */
interface Field {
  readonly key: string;
  readonly kind: 'string' | 'uint' | 'bool' | 'tier' | 'strings' | 'version';
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: { readonly re: RegExp; readonly accepted: string };
  readonly fallback?: unknown;
}

const uint = (key: string, fallback: number, max = UINT32_MAX, min = 0): Field => ({ key, kind: 'uint', min, max, fallback });
const strs = (key: string, fallback: readonly string[] = []): Field => ({ key, kind: 'strings', max: 1000, fallback });
const NAME_RULE = { re: NAME_RE, accepted: 'lower case letters, digits, _ . and -, starting with a letter' };

const TOOL_FIELDS: readonly Field[] = [
  { key: 'name', kind: 'string', min: 1, max: 100, pattern: NAME_RULE },
  { key: 'description', kind: 'string', max: 2000, fallback: '' },
  { key: 'tier', kind: 'tier' },
  strs('required_args'), strs('optional_args'), strs('allowed_args'), strs('denied_args'),
  uint('cpu_millicores', 1000), uint('mem_mb', 1024), uint('io_write_mb', 256),
  { key: 'net_allowed', kind: 'bool', fallback: false },
  strs('net_allowlist'),
  uint('rate_limit_per_min', 0, 100_000), uint('cooldown_sec', 0, 7 * 86_400),
  strs('fs_roots'),
];
const PLAN_FIELDS: readonly Field[] = [
  uint('max_steps', 50, MAX_PLAN_STEPS_HARD, 1), uint('max_parallel', 4, 1000, 1),
  { key: 'snapshot_for_tier_ge', kind: 'tier', fallback: 'T2' }, { key: 'tripcode_for_tier_ge', kind: 'tier', fallback: 'T3' },
];
const CONDITION_FIELDS: readonly Field[] = [
  uint('health_green_sec', 5, 86_400), uint('disk_headroom_mb', 512),
  strs('policy_words', DEFAULT_POLICY_WORDS), { key: 'require_dry_run_diff', kind: 'bool', fallback: true },
];
const TOP_FIELDS: readonly Field[] = [
  { key: 'version', kind: 'version' },
  { key: 'name', kind: 'string', min: 1, max: 100, pattern: NAME_RULE },
  { key: 'description', kind: 'string', max: 10_000, fallback: '' },
];

/** The file form of a policy (snake_case keys, every default filled in). */
export interface SafetyPolicyFile {
  version: 1;
  name: string;
  description: string;
  tools: {
    name: string; description: string; tier: CapabilityTier; required_args: string[]; optional_args: string[]; allowed_args: string[]; denied_args: string[];
    cpu_millicores: number; mem_mb: number; io_write_mb: number; net_allowed: boolean; net_allowlist: string[]; rate_limit_per_min: number; cooldown_sec: number; fs_roots: string[];
  }[];
  plan: { max_steps: number; max_parallel: number; snapshot_for_tier_ge: CapabilityTier; tripcode_for_tier_ge: CapabilityTier };
  conditions: { health_green_sec: number; disk_headroom_mb: number; policy_words: string[]; require_dry_run_diff: boolean };
}

type Path = readonly (string | number)[];

/** `tools[2].denied_args[0]` */
export function formatIssuePath(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(top level)' : out;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function kindText(f: Field): string {
  switch (f.kind) {
    case 'string': return 'a string';
    case 'uint': return `a whole number from ${f.min ?? 0} to ${f.max ?? UINT32_MAX}`;
    case 'bool': return 'true or false';
    case 'tier': return `one of ${CAPABILITY_TIERS.join(', ')}`;
    case 'strings': return 'a list of strings';
    case 'version': return '1';
  }
}

/** One field's value (the default when absent), or null after noting the problem. */
function field(obj: Record<string, unknown>, f: Field, path: Path, issues: SafetyPolicyIssue[]): unknown {
  const v = obj[f.key];
  const at = [...path, f.key];
  if (v === undefined || (v === null && f.fallback !== undefined)) {
    if (f.fallback !== undefined) return Array.isArray(f.fallback) ? [...(f.fallback as unknown[])] : f.fallback;
    issues.push({ path: at, message: `missing; expected ${kindText(f)}` });
    return null;
  }
  const bad = (): null => (issues.push({ path: at, message: `got ${show(v)}; expected ${kindText(f)}` }), null);
  switch (f.kind) {
    case 'version': return v === 1 ? 1 : bad();
    case 'bool': return typeof v === 'boolean' ? v : bad();
    case 'tier': return typeof v === 'string' && (CAPABILITY_TIERS as readonly string[]).includes(v) ? v : bad();
    case 'uint': return typeof v === 'number' && Number.isInteger(v) && v >= (f.min ?? 0) && v <= (f.max ?? UINT32_MAX) ? v : bad();
    case 'string': {
      if (typeof v !== 'string') return bad();
      if (v.length < (f.min ?? 0)) return (issues.push({ path: at, message: 'empty; expected a non-empty string' }), null);
      if (v.length > (f.max ?? Infinity)) return (issues.push({ path: at, message: `${v.length} characters; accepted: at most ${f.max}` }), null);
      if (f.pattern !== undefined && !f.pattern.re.test(v)) return (issues.push({ path: at, message: `got ${show(v)}; accepted: ${f.pattern.accepted}` }), null);
      return v;
    }
    case 'strings': {
      if (!Array.isArray(v)) return bad();
      if (v.length > (f.max ?? Infinity)) return (issues.push({ path: at, message: `${v.length} items; accepted: at most ${f.max}` }), null);
      let ok = true;
      v.forEach((item, i) => {
        if (typeof item !== 'string' || item === '') {
          issues.push({ path: [...at, i], message: `got ${show(item)}; expected a non-empty string` });
          ok = false;
        }
      });
      return ok ? [...(v as string[])] : null;
    }
  }
}

/** A mapping's fields, with unknown keys noted; null when `v` is not a mapping. */
function section(v: unknown, fields: readonly Field[], path: Path, issues: SafetyPolicyIssue[], extraKeys: readonly string[] = []): Record<string, unknown> | null {
  if (!isMapping(v)) {
    issues.push({ path, message: `got ${show(v)}; expected a mapping` });
    return null;
  }
  const known = [...fields.map((f) => f.key), ...extraKeys];
  for (const k of Object.keys(v)) if (!known.includes(k)) issues.push({ path: [...path, k], message: `unknown key; accepted keys here: ${known.join(', ')}` });
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.key] = field(v, f, path, issues);
  return out;
}

type Section = Record<string, unknown> | null;

/** The file form of `obj` with defaults filled in (null with every problem noted), and the tools as read (for the cross-field checks). */
function readFile(obj: unknown, issues: SafetyPolicyIssue[]): { file: SafetyPolicyFile | null; tools: Section[] } {
  const before = issues.length;
  const top = section(obj, TOP_FIELDS, [], issues, ['tools', 'plan', 'conditions']);
  if (top === null) return { file: null, tools: [] };
  const raw = obj as Record<string, unknown>;
  let tools: Section[] = [];
  if (raw.tools === undefined || raw.tools === null) issues.push({ path: ['tools'], message: 'missing; expected a list of tools' });
  else if (!Array.isArray(raw.tools)) issues.push({ path: ['tools'], message: `got ${show(raw.tools)}; expected a list of tools` });
  else if (raw.tools.length > 1000) issues.push({ path: ['tools'], message: `${raw.tools.length} tools; accepted: at most 1000` });
  else tools = raw.tools.map((t, i) => section(t, TOOL_FIELDS, ['tools', i], issues));
  const plan = raw.plan === undefined || raw.plan === null ? section({}, PLAN_FIELDS, ['plan'], issues) : section(raw.plan, PLAN_FIELDS, ['plan'], issues);
  const conditions = raw.conditions === undefined || raw.conditions === null ? section({}, CONDITION_FIELDS, ['conditions'], issues) : section(raw.conditions, CONDITION_FIELDS, ['conditions'], issues);
  if (issues.length > before) return { file: null, tools };
  return { file: { ...top, tools, plan, conditions } as unknown as SafetyPolicyFile, tools };
}

/** Whether `root` is absolute, or relative and inside the workspace. */
function fsRootProblem(root: string): string | null {
  if (root.trim() === '' || root.includes('\0')) return 'not a path';
  if (root.startsWith('~')) return 'a home-relative path; accepted: an absolute path or one relative to the workspace';
  if (root.startsWith('/')) return null;
  const ws = '/workspace-root-check';
  return isInside(resolvePosixPath(ws, root), ws) ? null : 'climbs out of the workspace; accepted: an absolute path or one relative to the workspace';
}

/** Checks across fields: patterns, duplicates, roots, argument names, hosts. */
function semanticIssues(tools: readonly Section[]): SafetyPolicyIssue[] {
  const out: SafetyPolicyIssue[] = [];
  const seen = new Map<string, number>();
  const list = (t: Record<string, unknown>, key: string): string[] => (Array.isArray(t[key]) ? (t[key] as string[]) : []);
  tools.forEach((t, i) => {
    if (t === null) return;
    const at = (...rest: (string | number)[]): (string | number)[] => ['tools', i, ...rest];
    if (typeof t.name === 'string') {
      const first = seen.get(t.name);
      if (first !== undefined) out.push({ path: at('name'), message: `duplicate tool name ${JSON.stringify(t.name)} (also tools[${first}]); each tool is named once` });
      else seen.set(t.name, i);
    }
    for (const key of ['allowed_args', 'denied_args']) {
      list(t, key).forEach((p, j) => {
        try {
          compilePattern(p);
        } catch (e) {
          out.push({ path: at(key, j), message: `invalid regular expression ${JSON.stringify(p)}: ${e instanceof Error ? e.message : String(e)}` });
        }
      });
    }
    for (const key of ['required_args', 'optional_args']) {
      list(t, key).forEach((a, j) => {
        if (!ARG_NAME_RE.test(a)) out.push({ path: at(key, j), message: `got ${show(a)}; an argument name is lower case letters, digits and _, starting with a letter` });
      });
    }
    const required = list(t, 'required_args');
    list(t, 'optional_args').forEach((a, j) => {
      if (required.includes(a)) out.push({ path: at('optional_args', j), message: `${JSON.stringify(a)} is also in required_args; name an argument in one list only` });
    });
    list(t, 'fs_roots').forEach((r, j) => {
      const why = fsRootProblem(r);
      if (why !== null) out.push({ path: at('fs_roots', j), message: `got ${show(r)}: ${why}` });
    });
    const hosts = list(t, 'net_allowlist');
    hosts.forEach((h, j) => {
      if (!HOST_RE.test(h)) out.push({ path: at('net_allowlist', j), message: `got ${show(h)}; accepted: a lower-case host name, optionally *.-prefixed and with :port` });
    });
    if (t.net_allowed === false && hosts.length > 0) {
      out.push({ path: at('net_allowlist'), message: 'hosts are listed but net_allowed is false; set net_allowed: true or empty the list' });
    }
  });
  return out;
}

/** Keys renamed through a whole value (objects and lists; strings untouched). */
function renameKeys(v: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(v)) return v.map((x) => renameKeys(x, rename));
  if (!isMapping(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [rename(k), renameKeys(x, rename)]));
}

const camel = (k: string): string => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function toPolicy(f: SafetyPolicyFile): SafetyPolicy {
  return renameKeys(f, camel) as SafetyPolicy;
}

/** A policy file's object (parsed YAML or JSON) as a policy, or every problem with its path. */
export function safetyPolicyIssues(obj: unknown): { readonly policy: SafetyPolicy | null; readonly issues: SafetyPolicyIssue[] } {
  const issues: SafetyPolicyIssue[] = [];
  const { file, tools } = readFile(obj, issues);
  issues.push(...semanticIssues(tools));
  return file === null || issues.length > 0 ? { policy: null, issues } : { policy: toPolicy(file), issues: [] };
}

/** A policy file's object as a policy, or its problems as `path: what was wrong; what is accepted`. */
export function parseSafetyPolicy(obj: unknown): SafetyPolicyParse {
  const { policy, issues } = safetyPolicyIssues(obj);
  if (policy !== null) return { ok: true, policy };
  return { ok: false, problems: issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`) };
}

/** The policy in its file form (snake_case), e.g. to print or write it as YAML. */
export function safetyPolicyToFile(p: SafetyPolicy): SafetyPolicyFile {
  return renameKeys(p, snake) as SafetyPolicyFile;
}

/** The rule for `name`, or null. */
export function findToolRule(policy: SafetyPolicy, name: string): ToolRule | null {
  return policy.tools.find((t) => t.name === name) ?? null;
}

type ToolSpec = Pick<ToolRule, 'name' | 'description' | 'tier' | 'requiredArgs'> & Partial<ToolRule>;

function tool(spec: ToolSpec): ToolRule {
  return {
    optionalArgs: [], allowedArgs: [], deniedArgs: [], cpuMillicores: 1000, memMb: 1024, ioWriteMb: 256,
    netAllowed: false, netAllowlist: [], rateLimitPerMin: 0, cooldownSec: 0, fsRoots: [], ...spec,
  };
}

/**
 * The built-in policy (`policies/default.yaml` writes it out; a test keeps them equal). Argument
 * conventions shared by every tool: `path`, `cwd`, `context` are paths (inside `fs_roots`);
 * `command` is a shell line (classified, may raise the tier); `url` and `*_url` are URLs (network
 * rules); `*_ms` and `*_sec` are whole numbers.
 */
export const DEFAULT_SAFETY_POLICY: SafetyPolicy = {
  version: 1,
  name: 'default',
  description: 'The built-in safety policy: the plan-step tool catalog with conservative limits.',
  tools: [
    tool({ name: 'read_file', description: 'Reads a file in the workspace.', tier: 'T0', requiredArgs: ['path'], cpuMillicores: 250, memMb: 256, ioWriteMb: 0 }),
    tool({ name: 'codegen_t0', description: 'Asks the model for code or text; writes nothing.', tier: 'T0', requiredArgs: ['prompt'], cpuMillicores: 500, memMb: 512, ioWriteMb: 0, rateLimitPerMin: 30 }),
    tool({ name: 'write_file', description: 'Writes a file in the workspace.', tier: 'T1', requiredArgs: ['path', 'content'], memMb: 512, ioWriteMb: 64 }),
    tool({ name: 'apply_patch_t1', description: 'Applies a unified diff to the workspace.', tier: 'T1', requiredArgs: ['patch'], memMb: 512, ioWriteMb: 64 }),
    tool({ name: 'run_command', description: 'Runs a shell command in the workspace; the command is classified and may raise the tier.', tier: 'T1', requiredArgs: ['command'], optionalArgs: ['timeout_ms'], rateLimitPerMin: 60 }),
    tool({ name: 'service_run_t1', description: 'Starts a service from the workspace; its port comes from port_env, health_path is probed.', tier: 'T1', requiredArgs: ['command'], optionalArgs: ['port_env', 'health_path'], rateLimitPerMin: 10 }),
    tool({
      name: 'container_build_t1', description: 'Builds a container image from a context directory in the workspace.', tier: 'T1', requiredArgs: ['context'],
      cpuMillicores: 2000, memMb: 4096, ioWriteMb: 4096, netAllowed: true, netAllowlist: ['registry-1.docker.io', 'auth.docker.io', '*.docker.com', 'ghcr.io'], rateLimitPerMin: 6,
    }),
    tool({ name: 'cron_entry_t1', description: 'Writes a cron file (schedule, command) named name into the workspace; installs nothing.', tier: 'T1', requiredArgs: ['schedule', 'command', 'name'], memMb: 256, ioWriteMb: 1, rateLimitPerMin: 10 }),
    tool({ name: 'config_update_t2', description: 'Replaces a configuration file; a system change, taken after a snapshot.', tier: 'T2', requiredArgs: ['path', 'content'], memMb: 512, ioWriteMb: 16, rateLimitPerMin: 10, cooldownSec: 5 }),
    tool({ name: 'db_migrate_t2', description: 'Runs a database migration command.', tier: 'T2', requiredArgs: ['command'], memMb: 2048, ioWriteMb: 1024, rateLimitPerMin: 2, cooldownSec: 30 }),
    tool({ name: 'factory_reset_t3', description: 'Resets the target to its factory state; destructive, needs a tripcode.', tier: 'T3', requiredArgs: [], rateLimitPerMin: 1, cooldownSec: 3600 }),
  ],
  plan: { maxSteps: 50, maxParallel: 4, snapshotForTierGe: 'T2', tripcodeForTierGe: 'T3' },
  conditions: { healthGreenSec: 5, diskHeadroomMb: 512, policyWords: DEFAULT_POLICY_WORDS, requireDryRunDiff: true },
};
