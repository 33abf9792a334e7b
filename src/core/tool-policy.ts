/**
 * The built-in agent's tool policy: every tool call the model makes is classified into a tier and
 * checked against the task's policy before it runs.
 *
 *   T0  read-only (read_file, list_files, search)
 *   T1  writes inside the workspace (write_file, edit_file, ordinary run_command)
 *   T2  system changes (package installs, sudo, services, writes to system paths)
 *   T3  destructive or sensitive (`rm -rf /`, `mkfs`, `dd of=/dev/…`, `curl … | sh`,
 *       `git push --force`, reading SSH keys; unknown tools)
 *
 * A call is refused when its argument text matches a `deny` pattern (deny wins), when a path
 * argument resolves outside the policy's `roots`, or when its tier is above `maxTier` and no
 * `allow` pattern matches it. Patterns are globs (`*`, `?`, matched against a whole argument) or
 * regular expressions written `/source/flags` (searched anywhere in an argument). The argument
 * text is the call's `command`, `path`, `pattern` and `cwd` values, each matched on its own; file
 * contents are not matched. Commands are not confined to the roots by this check (a shell line
 * cannot be parsed reliably): the sleeve is their boundary, the tiers their policy.
 *
 * Pure: no Node builtins (paths are POSIX and normalised here).
 */

export const TOOL_TIERS = ['T0', 'T1', 'T2', 'T3'] as const;
export type ToolTier = (typeof TOOL_TIERS)[number];

export interface ToolPolicy {
  /** The highest tier that runs without an allow pattern. Default T1. */
  readonly maxTier: ToolTier;
  /** Calls matching one of these run even above `maxTier` (deny and roots still apply). */
  readonly allow: readonly string[];
  /** Calls matching one of these never run. */
  readonly deny: readonly string[];
  /** Absolute (or workspace-relative) directories path arguments must stay inside; empty = the workspace. */
  readonly roots: readonly string[];
}

export const DEFAULT_TOOL_POLICY: ToolPolicy = { maxTier: 'T1', allow: [], deny: [], roots: [] };

export interface ToolCallRequest {
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
}

export interface ToolPolicyContext {
  /** The workspace: absolute; relative paths resolve against it. */
  readonly workspace: string;
}

export type ToolDecision = { readonly allowed: true; readonly tier: ToolTier } | { readonly allowed: false; readonly reason: string; readonly tier: ToolTier };

export const READ_TOOLS = ['read_file', 'list_files', 'search'] as const;
export const WRITE_TOOLS = ['write_file', 'edit_file'] as const;
export const BUILTIN_TOOL_NAMES = [...READ_TOOLS, ...WRITE_TOOLS, 'run_command'] as const;

/** Arguments whose values are paths (checked against the roots). */
const PATH_ARGS = ['path', 'cwd'] as const;
/** Arguments whose values are matched against allow/deny patterns. */
const TEXT_ARGS = ['command', 'path', 'pattern', 'cwd'] as const;

interface Rule {
  readonly re: RegExp;
  readonly why: string;
}

const SYSTEM_DIRS = '(?:etc|usr|bin|sbin|lib|lib32|lib64|boot|var|opt|root|sys|proc|dev|srv)';
/** A system path, but not the harmless device files (`/dev/null`, `/dev/stderr` …). */
const SYSTEM_PATH = `/(?!dev/(?:null|zero|stdout|stderr|stdin|tty|fd/)|dev/u?random\\b)${SYSTEM_DIRS}`;

/** Where a command word starts: line start, after `;`, `&`, `|`, `(`, `{`, a backtick or `$(`, past `sudo`/`env`/`exec` and variable assignments, with an optional directory. */
const CMD_START =
  String.raw`(?:^|[;&|({\n` + '`' + String.raw`]|\$\()\s*(?:(?:sudo|doas|exec|nohup|time|env|command)(?:\s+-\S+)*\s+(?:\w+=\S*\s+)*)*(?:\w+=\S*\s+)*(?:\S*/)?`;

/** `words` (alternatives) in command position, then `rest`. */
function cmd(words: string, rest = ''): RegExp {
  return new RegExp(`${CMD_START}(?:${words})\\b${rest}`);
}

/** Destructive or sensitive commands (T3). */
const T3_RULES: readonly Rule[] = [
  { re: cmd('rm', '\\s+(?:-\\S+\\s+)*-\\S*[rR]\\S*\\s+(?:-\\S+\\s+)*(?:/\\*?|~/?\\*?|\\$HOME/?\\*?|\\*|\\.\\.?/?)(?=\\s|$|[;&|)])'), why: 'recursive removal of a root, home or parent directory' },
  { re: cmd('rm', `\\s+(?:-\\S+\\s+)*-\\S*[rR]\\S*\\s+(?:\\S+\\s+)*/${SYSTEM_DIRS}(?:/|\\s|$)`), why: 'recursive removal of a system directory' },
  { re: /--no-preserve-root\b/, why: 'rm --no-preserve-root' },
  { re: cmd('mkfs(?:\\.\\w+)?|wipefs|shred|fdisk|parted|sfdisk'), why: 'formats or wipes a disk' },
  { re: cmd('dd', '[^;&|]*\\bof=/dev/'), why: 'dd onto a device' },
  { re: />\s*\/dev\/(?:sd|hd|nvme|vd|xvd|mmcblk)\w*/, why: 'writes onto a block device' },
  { re: /\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b/, why: 'pipes a download into a shell' },
  { re: /\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:python3?|node|perl|ruby)\b/, why: 'pipes a download into an interpreter' },
  { re: cmd('git', '(?:\\s+-\\S+(?:\\s+\\S+)?)*\\s+push\\b[^;&|]*(?:\\s--force(?:-with-lease)?\\b|\\s-\\w*f\\w*\\b|\\s\\+\\S)'), why: 'force-pushes' },
  { re: /:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/, why: 'fork bomb' },
  { re: cmd('shutdown|reboot|halt|poweroff|init\\s+0'), why: 'stops the machine' },
  { re: cmd('chmod', '\\s+(?:-\\S+\\s+)*[0-7]*777\\s+/(?:\\s|$)'), why: 'opens up the root directory' },
  { re: /(?:~|\$HOME|\/home\/[^/\s]+|\/root)\/\.(?:ssh|aws|gnupg|kube|docker)\b|\bid_(?:rsa|ecdsa|ed25519)\b|\/etc\/(?:shadow|sudoers)\b/, why: 'touches credentials' },
];

/** System changes (T2). */
const T2_RULES: readonly Rule[] = [
  { re: cmd('apt|apt-get|aptitude|yum|dnf|zypper|apk|pacman|brew|port|snap|flatpak', '\\s+(?:-\\S+\\s+)*(?:install|add|remove|purge|upgrade|update|-S\\w*)\\b'), why: 'installs system packages' },
  { re: cmd('pip3?|pipx|uv\\s+pip|poetry|gem|cargo|go|conda|mamba', '\\s+(?:-\\S+\\s+)*(?:install|add)\\b'), why: 'installs packages' },
  { re: cmd('npm|pnpm|yarn|bun', '\\s+(?:-\\S+\\s+)*(?:install|i|add|ci)\\b'), why: 'installs packages' },
  { re: cmd('npx|pnpx|bunx'), why: 'downloads and runs a package' },
  { re: cmd('sudo|su|doas|pkexec'), why: 'gains privileges' },
  { re: cmd('systemctl|service|launchctl|mount|umount|modprobe|insmod|rmmod|sysctl|iptables|nft|ufw|useradd|userdel|usermod|groupadd|passwd|crontab|chown|chgrp|setcap'), why: 'changes the system' },
  { re: new RegExp(`>>?\\s*${SYSTEM_PATH}/`), why: 'writes to a system path' },
  { re: cmd('cp|mv|rm|rmdir|tee|install|ln|chmod|touch|mkdir|truncate|sed\\s+-i\\S*', `[^;&|]*\\s${SYSTEM_PATH}(?:/|\\s|$)`), why: 'changes a system path' },
];

const TIER_RANK: Readonly<Record<ToolTier, number>> = { T0: 0, T1: 1, T2: 2, T3: 3 };

export function tierAbove(a: ToolTier, b: ToolTier): boolean {
  return TIER_RANK[a] > TIER_RANK[b];
}

/** A call's tier and why it has it. */
export function classifyCall(name: string, args: Readonly<Record<string, unknown>>): { tier: ToolTier; why: string } {
  if ((READ_TOOLS as readonly string[]).includes(name)) return { tier: 'T0', why: 'reads' };
  if ((WRITE_TOOLS as readonly string[]).includes(name)) return { tier: 'T1', why: 'writes a file' };
  if (name !== 'run_command') return { tier: 'T3', why: `unknown tool ${name}` };
  const command = typeof args.command === 'string' ? args.command : '';
  for (const rule of T3_RULES) if (rule.re.test(command)) return { tier: 'T3', why: rule.why };
  for (const rule of T2_RULES) if (rule.re.test(command)) return { tier: 'T2', why: rule.why };
  return { tier: 'T1', why: 'runs a command in the workspace' };
}

/** A call's tier. */
export function classify(name: string, args: Readonly<Record<string, unknown>>): ToolTier {
  return classifyCall(name, args).tier;
}

/** `path` made absolute against `base` and normalised (`.`, `..`, repeated slashes); `..` never climbs above `/`. */
export function resolvePosixPath(base: string, path: string): string {
  const joined = path.startsWith('/') ? path : `${base}/${path}`;
  const parts: string[] = [];
  for (const seg of joined.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** Whether absolute normalised `path` is `root` or inside it. */
export function isInside(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

/** `path` relative to `root` ('' for the root itself), or null when it lies outside. */
export function relativeInside(path: string, root: string): string | null {
  if (!isInside(path, root)) return null;
  return root === '/' ? path.slice(1) : path.slice(root.length + 1);
}

function escapeRegex(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** A policy pattern as a test: `/source/flags` is a regular expression (searched), anything else a glob (whole text). */
export function compilePattern(pattern: string): (text: string) => boolean {
  const re = /^\/(.+)\/([dgimsuvy]*)$/s.exec(pattern);
  if (re !== null) {
    const compiled = new RegExp(re[1]!, re[2]!.replace(/[gy]/g, ''));
    return (text) => compiled.test(text);
  }
  const source = escapeRegex(pattern).replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  const glob = new RegExp(`^${source}$`);
  return (text) => glob.test(text);
}

/** Problems with a policy's patterns (invalid regular expressions), one message each; empty when fine. */
export function policyProblems(policy: ToolPolicy): string[] {
  const problems: string[] = [];
  for (const [list, patterns] of [['allow', policy.allow], ['deny', policy.deny]] as const) {
    for (const p of patterns) {
      try {
        compilePattern(p);
      } catch (e) {
        problems.push(`${list} pattern ${JSON.stringify(p)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  for (const r of policy.roots) if (r.trim() === '' || r.includes('\0')) problems.push(`root ${JSON.stringify(r)} is not a path`);
  return problems;
}

function argTexts(args: Readonly<Record<string, unknown>>): string[] {
  return TEXT_ARGS.flatMap((k) => (typeof args[k] === 'string' ? [args[k]] : []));
}

/**
 * The first of `patterns` that matches one of `texts`, or null. An invalid pattern is skipped,
 * or counts as a match with `invalidMatches` (deny lists that must fail closed).
 */
export function firstMatchingPattern(patterns: readonly string[], texts: readonly string[], invalidMatches = false): string | null {
  for (const p of patterns) {
    let test: (t: string) => boolean;
    try {
      test = compilePattern(p);
    } catch {
      if (invalidMatches) return p;
      continue;
    }
    if (texts.some((t) => test(t))) return p;
  }
  return null;
}

/** The policy's roots, absolute and normalised (the workspace when it names none). */
export function policyRoots(policy: ToolPolicy, ctx: ToolPolicyContext): string[] {
  const workspace = resolvePosixPath('/', ctx.workspace);
  return policy.roots.length === 0 ? [workspace] : policy.roots.map((r) => resolvePosixPath(workspace, r));
}

/** Whether `call` may run under `policy`; the reason when it may not. */
export function decide(policy: ToolPolicy, call: ToolCallRequest, ctx: ToolPolicyContext): ToolDecision {
  const { tier, why } = classifyCall(call.name, call.args);
  const texts = argTexts(call.args);
  const denied = firstMatchingPattern(policy.deny, texts);
  if (denied !== null) return { allowed: false, tier, reason: `matches deny pattern ${JSON.stringify(denied)}` };
  const roots = policyRoots(policy, ctx);
  const workspace = resolvePosixPath('/', ctx.workspace);
  for (const key of PATH_ARGS) {
    const value = call.args[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.includes('\0')) return { allowed: false, tier, reason: `${key} is not a path` };
    const resolved = resolvePosixPath(workspace, value);
    if (!roots.some((r) => isInside(resolved, r))) {
      return { allowed: false, tier, reason: `${key} ${JSON.stringify(value)} resolves to ${resolved}, outside the allowed roots (${roots.join(', ')})` };
    }
  }
  if (tierAbove(tier, policy.maxTier) && firstMatchingPattern(policy.allow, texts) === null) {
    return { allowed: false, tier, reason: `${call.name} is ${tier} (${why}), above the policy's maximum ${policy.maxTier}` };
  }
  return { allowed: true, tier };
}
