/**
 * The policy check of a planned request: a verdict `{allowed, code, reason}` with a reason a
 * user understands. Checked in this order: empty request, kill switch, secret exfiltration, T3
 * (tripcode), agent not allowed, guardrails over the policy's maxima. The tier is the higher of
 * the plan's and the one the request's words give, so a planner (the LLM) cannot talk a
 * destructive request down. Pure: no I/O.
 */
import { formatDuration, formatUsd } from './guardrail-phrases.js';
import { joinWords, maxTier, type Plan, type PlanGuardrails } from './plan.js';
import { classifyTier } from './request-tiers.js';

export const POLICY_CODES = [
  'EMPTY_REQUEST',
  'KILLSWITCH_ON',
  'SECRET_EXFILTRATION',
  'TRIPCODE_REQUIRED',
  'AGENT_NOT_ALLOWED',
  'GUARDRAIL_EXCEEDS_POLICY',
] as const;
export type PolicyCode = (typeof POLICY_CODES)[number];

export interface PlanVerdict {
  readonly allowed: boolean;
  readonly code: PolicyCode | null;
  readonly reason: string | null;
}

export const ALLOWED: PlanVerdict = { allowed: true, code: null, reason: null };

/** What the HQ allows planned requests to ask for. null maxima = no limit. */
export interface RequestPolicy {
  readonly allowedAgents: readonly string[];
  readonly maxIterations: number | null;
  readonly maxBudgetUsd: number | null;
  readonly maxBudgetTokens: number | null;
  readonly maxTimeoutMs: number | null;
}

export interface PolicyState {
  readonly killSwitchOn: boolean;
  readonly killSwitchReason?: string | null | undefined;
}

function refuse(code: PolicyCode, reason: string): PlanVerdict {
  return { allowed: false, code, reason };
}

/** A request with nothing to plan from: empty, or without a word of two letters. */
export function isEmptyRequest(request: string): boolean {
  const t = request.trim();
  if (t === '') return true;
  const words = t.match(/\p{L}{2,}/gu) ?? [];
  if (words.length === 0) return true;
  // Keyboard mash: one long run of letters without vowels, or only repeated characters.
  const only = words.length === 1 ? (words[0] ?? '') : null;
  if (only !== null && (/^(.)\1+$/iu.test(only) || (/^[a-z]+$/i.test(only) && vowelShare(only) < (only.length >= 8 ? 0.2 : 0.01)))) return true;
  return false;
}

function vowelShare(word: string): number {
  return (word.match(/[aeiouy]/gi)?.length ?? 0) / word.length;
}

const LEAK_VERBS = String.raw`(?:send|sends|sending|print|prints|printing|upload|uploading|post|posting|email|mail|reveal|leak|exfiltrate|paste|share|echo|cat|dump|expose|output|display|tell me|give me|show me|show|publish|forward|transmit|write out|read out)`;
const SECRETS = String.raw`(?:api[ _-]?keys?|secret(?:s|[ _-]key)?|passwords?|passwd|ssh[ _-]?keys?|private[ _-]?keys?|id_rsa|id_ed25519|credentials?|creds|\.env(?![.\w])|env(?:ironment)? (?:file|variables|vars)|(?:access|auth|bearer|api|github|gitlab|npm|slack|aws|oauth|session|refresh|admin|join) tokens?|(?<![\d.]\s?[km]?\s?)\btokens?\b(?!\s*(?:budget|usage|limit|count|counts|spent|used|per|cost|costs)\b)|aws[ _-]?keys?|signing keys?|keychain|keyring)`;
/** Words after a secret's name that make it a feature, not the secret ("password reset form"). */
const FEATURE = String.raw`(?!['’]?s?\s*(?:fields?|forms?|pages?|inputs?|box|strength|meter|resets?|settings?|validation|validators?|polic(?:y|ies)|prompts?|hash(?:es|ing)?|managers?|rotation|rules?|requirements?|ui|screens?|dialogs?|modals?|components?|columns?|length|checks?|checker|toggles?|visibility|masks?|masking|format|formats|parser|schema|type|types|names?|labels?|placeholders?|hints?|expiry|expiration|refresh(?:es)?)\b)`;
const EXFIL = new RegExp(String.raw`\b${LEAK_VERBS}\b[^.;!?\n]{0,60}?${SECRETS}${FEATURE}|${SECRETS}[^.;!?\n]{0,40}?\b(?:to|into|onto)\s+(?:an?\s+|the\s+|my\s+)?(?:pastebin|gist|slack|discord|email|webhook|url|server|chat|log|logs|stdout|channel|https?:)`, 'i');
const NEGATED = /\b(?:don'?t|do not|never|without|not|no|no longer|stop|avoid|prevent|quit)\s+(?:\w+\s+){0,2}$/i;

/** The phrase of a request that asks to send or print secrets, or null. */
export function findSecretExfiltration(text: string): string | null {
  const re = new RegExp(EXFIL.source, 'gi');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const before = text.slice(Math.max(0, m.index - 40), m.index);
    if (!NEGATED.test(before)) return m[0].trim();
    if (m[0].length === 0) re.lastIndex += 1;
  }
  return null;
}

/** The verdict for `plan`, made from `request` (the user's words), under `policy` and `state`. */
export function checkPlan(request: string, plan: Plan, policy: RequestPolicy, state: PolicyState): PlanVerdict {
  if (isEmptyRequest(request)) {
    return refuse('EMPTY_REQUEST', 'The request is empty or has no words to plan from; describe the work in a sentence, for example "fix the failing tests in repo ./app until `npm test` passes".');
  }
  if (state.killSwitchOn) {
    const why = state.killSwitchReason ? ` (reason: ${state.killSwitchReason})` : '';
    return refuse('KILLSWITCH_ON', `The kill switch is on${why}, so no new work is accepted; an operator must turn it off (cortical killswitch off) before requests are planned and submitted.`);
  }
  const leak = findSecretExfiltration(request) ?? findSecretExfiltration(plan.prompt);
  if (leak !== null) {
    return refuse('SECRET_EXFILTRATION', `The request asks to send or print secrets or credentials ("${clip(leak)}"); Cortical never hands keys, tokens or passwords to an agent for output, so it was refused.`);
  }
  const words = classifyTier(request);
  const tier = maxTier(plan.tier, words.tier);
  if (tier === 'T3') {
    const what = words.tier === 'T3' && words.what !== null ? ` (it asks to ${words.what})` : '';
    return refuse('TRIPCODE_REQUIRED', `T3 (destructive or sensitive) requests need a tripcode; this request${what} was refused. Do the destructive step by hand, or ask for the safe part alone.`);
  }
  if (!policy.allowedAgents.includes(plan.agent)) {
    return refuse('AGENT_NOT_ALLOWED', `The agent ${plan.agent} is not allowed on this HQ; allowed agents: ${joinWords(policy.allowedAgents) || 'none'}.`);
  }
  const over = guardrailOverPolicy(plan.guardrails, policy);
  if (over !== null) return refuse('GUARDRAIL_EXCEEDS_POLICY', over);
  return ALLOWED;
}

function guardrailOverPolicy(g: PlanGuardrails, p: RequestPolicy): string | null {
  const limit = (name: string, value: number | null, max: number | null, show: (v: number) => string): string | null => {
    if (max === null) return null;
    if (value === null) return `The ${name} is unlimited, but this HQ allows at most ${show(max)} per planned task; ask for ${show(max)} or less.`;
    if (value > max) return `The ${name} of ${show(value)} is over this HQ's limit of ${show(max)} per planned task; ask for ${show(max)} or less.`;
    return null;
  };
  return (
    limit('iteration limit', g.maxIterations, p.maxIterations, (v) => `${v} iterations`) ??
    limit('budget', g.budgetUsd, p.maxBudgetUsd, formatUsd) ??
    limit('token budget', g.budgetTokens, p.maxBudgetTokens, (v) => `${v} tokens`) ??
    limit('timeout', g.timeoutMs, p.maxTimeoutMs, formatDuration)
  );
}

/**
 * Fills guardrails the plan leaves unlimited with the policy's maxima (explained), so that a
 * request that names no limit gets the HQ's cap instead of a refusal.
 */
export function capUnlimitedGuardrails(plan: Plan, policy: RequestPolicy): Plan {
  const g = { ...plan.guardrails };
  /** Explanation prefix of the unlimited guardrail → the line that replaces it. */
  const lines = new Map<string, string>();
  if (g.maxIterations === null && policy.maxIterations !== null) {
    g.maxIterations = policy.maxIterations;
    lines.set('Iterations at most unlimited', `Iterations at most ${policy.maxIterations}: the HQ's maximum, since none was set.`);
  }
  if (g.budgetUsd === null && policy.maxBudgetUsd !== null) {
    g.budgetUsd = policy.maxBudgetUsd;
    lines.set('Budget unlimited', `Budget ${formatUsd(policy.maxBudgetUsd)}: the HQ's maximum per planned task, since none was set.`);
  }
  if (g.budgetTokens === null && policy.maxBudgetTokens !== null) {
    g.budgetTokens = policy.maxBudgetTokens;
    lines.set('Token budget unlimited', `Token budget ${policy.maxBudgetTokens} tokens: the HQ's maximum per planned task, since none was set.`);
  }
  if (g.timeoutMs === null && policy.maxTimeoutMs !== null) {
    g.timeoutMs = policy.maxTimeoutMs;
    lines.set('Timeout unlimited', `Timeout ${formatDuration(policy.maxTimeoutMs)}: the HQ's maximum per planned task, since none was set.`);
  }
  if (lines.size === 0) return plan;
  const used = new Set<string>();
  const explanation = plan.explanation.map((line) => {
    for (const [prefix, replacement] of lines) {
      if (!used.has(prefix) && line.startsWith(prefix)) {
        used.add(prefix);
        return replacement;
      }
    }
    return line;
  });
  for (const [prefix, replacement] of lines) if (!used.has(prefix)) explanation.push(replacement);
  return { ...plan, guardrails: g, explanation };
}

function clip(s: string): string {
  return s.length <= 80 ? s : `${s.slice(0, 79)}…`;
}
