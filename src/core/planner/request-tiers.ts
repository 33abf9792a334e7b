/**
 * The capability tier of a request in plain words (the same tiers as the built-in agent's tool
 * policy, applied to what is asked rather than to single tool calls):
 *
 *   T0  read-only: explain, review, analyze, list, find … with nothing to change
 *   T1  edits in the task's workspace (the default)
 *   T2  system changes: system-wide installs, /etc, services, sudo
 *   T3  destructive or sensitive: delete, drop database, rm -rf, force push, rotate keys, production
 *
 * Pure: no I/O.
 */
import type { PlanTier } from './plan.js';

interface TierRule {
  readonly re: RegExp;
  /** What the request asks, in words ("drop a database"). */
  readonly what: string;
}

const T3_RULES: readonly TierRule[] = [
  { re: /\brm\s+-[a-z]*r[a-z]*f?\b|\brm\s+-[a-z]*f[a-z]*r\b/i, what: 'remove files recursively (rm -rf)' },
  { re: /\bdrop\s+(?:the\s+|a\s+|all\s+|every\s+)?(?:\w+\s+)?(?:database|db|schema|tables?)s?\b/i, what: 'drop a database or table' },
  { re: /\btruncate\s+(?:the\s+)?(?:\w+\s+)?tables?\b/i, what: 'truncate a table' },
  { re: /\bforce[- ]push|\bpush\s+(?:\S+\s+)*?(?:--force|-f)\b|\bpush\s+--force-with-lease\b/i, what: 'force push' },
  { re: /\brotate\s+(?:the\s+|all\s+|our\s+)?(?:\w+\s+)?(?:keys?|secrets?|credentials?|passwords?|tokens?|certs?|certificates?)\b/i, what: 'rotate keys or credentials' },
  { re: /\bproduction\b|\bprod\b/i, what: 'touch production' },
  { re: /\b(?:delete|deleting|deletes|deleted)\b/i, what: 'delete something' },
  { re: /\b(?:wipe|wiping|destroy|destroying|erase|erasing|purge|purging)\b/i, what: 'wipe or destroy data' },
  { re: /\breset\s+--hard\b|\bgit\s+clean\s+-[a-z]*f/i, what: 'discard work (git reset --hard / git clean)' },
  { re: /\bmkfs\b|\bdd\s+if=|\bformat\s+(?:the\s+)?(?:disk|drive|partition)\b/i, what: 'format a disk' },
];

const T2_RULES: readonly TierRule[] = [
  { re: /\binstall\b[^.;\n]*?\b(?:system[- ]?wide|globally|on the (?:host|system|machine|node))\b|\bsystem[- ]?wide\b/i, what: 'install system-wide' },
  { re: /\b(?:apt|apt-get|yum|dnf|apk|pacman|brew|snap)\s+(?:install|upgrade|remove)\b|\bnpm\s+(?:install|i)\s+(?:-g|--global)\b|\bpip3?\s+install\s+--system\b/i, what: 'use the system package manager' },
  { re: /(?:^|[\s`'"(])\/(?:etc|usr|boot|var|opt|sys|proc)(?:\/|\b)/i, what: 'change system paths (/etc, /usr …)' },
  { re: /\b(?:restart|reload|stop|start|enable|disable)\s+(?:the\s+|a\s+)?(?:\S+\s+)?(?:service|daemon)s?\b|\bsystemctl\b|\bservice\s+\S+\s+(?:restart|reload|stop|start)\b/i, what: 'control system services' },
  { re: /\bsudo\b|\bas root\b|\bchmod\s+-R\b|\bchown\b|\bcrontab\b|\bcron ?jobs?\b|\bkernel\b|\bfirewall\b|\biptables\b/i, what: 'change the system (root, permissions, cron, firewall)' },
];

/** Verbs of a read-only request. */
const READ_ONLY = /\b(?:explain|review|analy[sz]e|list|find|describe|summari[sz]e|show|inspect|investigate|audit|read|look at|check|count|compare|report|what|why|how does|where is|which)\b/i;
/** Verbs that change the workspace. */
const WRITES =
  /\b(?:fix|add|implement|write|change|update|refactor|edit|create|make|remove|rename|migrate|upgrade|bump|build|generate|replace|convert|port|rewrite|improve|optimi[sz]e|clean up|set up|setup|install|delete|commit|push|modify|apply|patch|format)\b/i;

export interface TierDecision {
  readonly tier: PlanTier;
  /** What triggered it ("drop a database"), or null for the default. */
  readonly what: string | null;
}

/** The tier of a request, with the phrase class that decided it. */
export function classifyTier(text: string): TierDecision {
  for (const rule of T3_RULES) if (rule.re.test(text)) return { tier: 'T3', what: rule.what };
  for (const rule of T2_RULES) if (rule.re.test(text)) return { tier: 'T2', what: rule.what };
  if (READ_ONLY.test(text) && !WRITES.test(text)) return { tier: 'T0', what: 'only read and report' };
  return { tier: 'T1', what: null };
}

/** The explanation line for a tier decision. */
export function explainTier(d: TierDecision): string {
  switch (d.tier) {
    case 'T3':
      return `Tier T3 (destructive or sensitive): the request asks to ${d.what ?? 'do something destructive'}.`;
    case 'T2':
      return `Tier T2 (system changes): the request asks to ${d.what ?? 'change the system'}; the workspace is snapshotted before every iteration.`;
    case 'T0':
      return 'Tier T0 (read-only): the request asks to read, explain or report, not to change anything.';
    case 'T1':
      return 'Tier T1 (workspace edits): the default for work that changes files in the task\'s workspace.';
  }
}
