/**
 * Deterministic reviewers for the plan debate, used when no LLM is configured (the gate works
 * offline). Two emphases, so that they can disagree on plausible plans and a judge is needed:
 *
 * - `policy-reviewer` weighs risk: refused or untypeable plans, refused steps, tiers (T2 without
 *   a snapshot, T3 without a tripcode), network use, destructive commands.
 * - `simplicity-reviewer` weighs size and verifiability: number of steps, size of the arguments
 *   and of the dry-run diff, writes outside the workspace, whether verify checks exist and whether
 *   a check or command looks bound to fail (`exit 1`, `false`).
 *
 * Both accept a small, allowed, checked plan and reject a refused one. They hold their verdict in
 * later rounds (saying what the other said). Pure: no I/O.
 */
import { tierRank, type CapabilityTier } from '../plan-steps.js';
import type { DebateStep, DebateSubject, Review, ReviewInput, Reviewer, RubricScores, Verdict } from './debate-types.js';
import { clamp01, weightedScore } from './judge-rubric.js';

/** Commands that reach the network. */
const NETWORK_RE =
  /\b(?:curl|wget|ssh|scp|sftp|rsync|nc|ncat|telnet|ftp)\b|\bgit\s+(?:push|clone|fetch|pull)\b|\b(?:npm|pnpm|yarn|pip3?)\s+(?:install|i|add|publish)\b|\b[a-z][a-z0-9+.-]*:\/\/[^\s'"]+/i;

interface Pattern {
  readonly re: RegExp;
  readonly what: string;
}

/** Destructive command patterns (case-insensitive, anywhere in an argument). */
const DESTRUCTIVE: readonly Pattern[] = [
  { re: /\brm\s+(?:-\S+\s+)*-[a-z]*r/i, what: 'recursive removal (rm -r)' },
  { re: /\bgit\s+push\b[^;&|\n]*(?:\s--force\b|\s-[a-z]*f\b|\s\+\S)/i, what: 'force push' },
  { re: /\bgit\s+reset\s+--hard\b|\bgit\s+clean\s+-[a-z]*f/i, what: 'discards work (git reset --hard / git clean -f)' },
  { re: /\bdrop\s+(?:table|database|schema)\b|\btruncate\s+table\b/i, what: 'drops or truncates data' },
  { re: /\bdelete\s+from\s+\w+\s*(?:;|$)/im, what: 'deletes every row of a table' },
  { re: /\bmkfs\b|\bwipefs\b|\bshred\b|\bdd\s+[^;&|\n]*\bof=\/dev\//i, what: 'wipes a disk or file' },
  { re: /\bchmod\s+(?:-R\s+)?0?777\b/i, what: 'opens permissions (chmod 777)' },
];

/** A check or command that looks bound to fail: `exit N` (N > 0) or `false` in command position. */
const FAILING_RE = /(?:^|[;&|(]\s*)(?:exit\s+[1-9]\d*|false)\s*(?:$|[;&|)])/m;

/** Argument names that hold a path the step writes to or works in. */
const PATH_KEYS = new Set(['path', 'cwd', 'file', 'dest', 'destination', 'target', 'to', 'out', 'output', 'dir']);

/** Whether a path argument lies outside the usual places (the workspace, /tmp). */
function outsideUsualPlaces(step: DebateStep): boolean {
  for (const [key, value] of Object.entries(step.args)) {
    const v = value.trim();
    if (PATH_KEYS.has(key)) {
      if (v.startsWith('~') || v.startsWith('$HOME') || /(?:^|\/)\.\.(?:\/|$)/.test(v)) return true;
      if (v.startsWith('/') && !/^\/(?:workspace|tmp)(?:\/|$)/.test(v)) return true;
    }
    // Shell redirection onto an absolute path other than /tmp, /workspace or /dev/null.
    if (/>>?\s*\/(?!tmp\/|workspace\/|dev\/null\b)/.test(v)) return true;
  }
  return false;
}

function argText(step: DebateStep): string {
  return Object.values(step.args).join('\n');
}

function highestTier(subject: DebateSubject): CapabilityTier {
  let top: CapabilityTier = subject.policy.maxTier;
  for (const s of subject.steps) if (tierRank(s.tier) > tierRank(top)) top = s.tier;
  return top;
}

function refusedSteps(subject: DebateSubject): string[] {
  return subject.steps.flatMap((s, i) => (s.allowed ? [] : [`step ${i + 1} (${s.tool}) is refused${s.reasons.length > 0 ? `: ${s.reasons.join('; ')}` : ''}`]));
}

/** Why the policy facts rule the plan out, or [] when they do not. */
function hardRefusals(subject: DebateSubject): string[] {
  const out: string[] = [];
  if (!subject.policy.allowed) out.push(`the policy refused the plan${subject.policy.problems.length > 0 ? `: ${subject.policy.problems.join('; ')}` : ''}`);
  if (!subject.policy.typeable) out.push('the plan is not typeable');
  out.push(...refusedSteps(subject).slice(0, 5));
  return out;
}

function looksFailing(subject: DebateSubject): string | null {
  const check = subject.checks.find((c) => FAILING_RE.test(c));
  if (check !== undefined) return `check ${JSON.stringify(check.slice(0, 80))} looks bound to fail`;
  const step = subject.steps.find((s) => FAILING_RE.test(argText(s)));
  if (step !== undefined) return `a ${step.tool} step looks bound to fail (exit 1 / false)`;
  return null;
}

function hasChecks(subject: DebateSubject): boolean {
  return subject.checks.some((c) => c.trim() !== '');
}

/** Adds what the other reviewer said in the rounds before (a heuristic reviewer holds its verdict). */
function withEarlier(input: ReviewInput, self: string, verdict: Verdict, reasons: string[]): string[] {
  const others = input.earlier.filter((r) => r.reviewer !== self && r.round === input.round - 1);
  for (const o of others) {
    if (o.verdict !== verdict) reasons.push(`round ${input.round}: holds ${verdict} although ${o.reviewer} said ${o.verdict}`);
  }
  return reasons;
}

function review(self: string, input: ReviewInput, verdict: Verdict, scores: RubricScores, reasons: string[]): Review {
  const clamped: RubricScores = {
    policyCompliance: clamp01(scores.policyCompliance),
    simplicity: clamp01(scores.simplicity),
    predictedTestPass: clamp01(scores.predictedTestPass),
  };
  return { reviewer: self, round: input.round, verdict, scores: clamped, reasons: withEarlier(input, self, verdict, reasons) };
}

/** Risk first: accepts only an allowed, typeable plan with policy compliance ≥ 0.7. */
export class PolicyReviewer implements Reviewer {
  readonly name = 'policy-reviewer';

  review(input: ReviewInput): Promise<Review> {
    return Promise.resolve(this.assess(input));
  }

  private assess(input: ReviewInput): Review {
    const subject = input.subject;
    const reasons: string[] = [];
    let pc = 1;
    const refusals = hardRefusals(subject);
    if (refusals.length > 0) {
      pc = 0;
      reasons.push(...refusals);
    } else if (subject.policy.problems.length > 0) {
      pc -= 0.3 * subject.policy.problems.length;
      reasons.push(`policy problems: ${subject.policy.problems.join('; ')}`);
    }
    const tier = highestTier(subject);
    if (tier === 'T2') {
      pc -= 0.15;
      reasons.push('changes the system (T2)');
      if (!subject.policy.needsSnapshot) {
        pc -= 0.3;
        reasons.push('T2 work without a snapshot');
      }
    } else if (tier === 'T3') {
      pc -= 0.35;
      reasons.push('destructive or sensitive (T3)');
      if (!subject.policy.needsTripcode) {
        pc = 0;
        reasons.push('T3 work without a tripcode');
      }
    }
    const texts = subject.steps.map(argText);
    if (texts.some((t) => NETWORK_RE.test(t))) {
      pc -= 0.15;
      reasons.push('reaches the network');
    }
    const destructive = DESTRUCTIVE.filter((p) => texts.some((t) => p.re.test(t))).map((p) => p.what);
    if (destructive.length > 0) {
      pc -= 0.4;
      reasons.push(`destructive: ${destructive.join(', ')}`);
    }
    const checked = hasChecks(subject);
    const failing = looksFailing(subject);
    const scores: RubricScores = {
      policyCompliance: pc,
      simplicity: Math.max(0.3, 1 - 0.05 * Math.max(0, subject.steps.length - 1)),
      predictedTestPass: failing !== null ? 0.2 : checked ? 0.8 : 0.5,
    };
    const ok = refusals.length === 0 && clamp01(pc) >= 0.7;
    if (ok && reasons.length === 0) reasons.push('within policy: allowed, low tier, nothing destructive');
    return review(this.name, input, ok ? 'ACCEPT' : 'REJECT', scores, reasons);
  }
}

/** Size and verifiability first: accepts a small plan with verify checks that look like they pass. */
export class SimplicityReviewer implements Reviewer {
  readonly name = 'simplicity-reviewer';

  review(input: ReviewInput): Promise<Review> {
    return Promise.resolve(this.assess(input));
  }

  private assess(input: ReviewInput): Review {
    const subject = input.subject;
    const reasons: string[] = [];
    let simplicity = 1;
    const n = subject.steps.length;
    if (n > 3) {
      simplicity -= 0.08 * (n - 3);
      reasons.push(`${n} steps`);
    }
    const argChars = subject.steps.reduce((sum, s) => sum + argText(s).length, 0);
    if (argChars > 10_000) {
      simplicity -= 0.4;
      reasons.push(`large arguments (${argChars} characters)`);
    } else if (argChars > 2_000) {
      simplicity -= 0.2;
      reasons.push(`sizeable arguments (${argChars} characters)`);
    }
    const diff = subject.diffStats;
    if (diff !== undefined) {
      const lines = diff.added + diff.removed;
      if (diff.files > 10) {
        simplicity -= 0.2;
        reasons.push(`touches ${diff.files} files`);
      }
      if (lines > 2_000) {
        simplicity -= 0.4;
        reasons.push(`a large diff (+${diff.added} −${diff.removed})`);
      } else if (lines > 500) {
        simplicity -= 0.2;
        reasons.push(`a sizeable diff (+${diff.added} −${diff.removed})`);
      }
    }
    if (subject.steps.some(outsideUsualPlaces)) {
      simplicity -= 0.3;
      reasons.push('writes outside the workspace');
    }
    const failing = looksFailing(subject);
    let ptp = 0.9;
    if (failing !== null) {
      ptp = 0.1;
      reasons.push(failing);
    } else if (!hasChecks(subject)) {
      ptp = 0.3;
      reasons.push('no verify checks: nothing shows the change works');
    }
    const refusals = hardRefusals(subject);
    reasons.push(...refusals);
    const pc = refusals.length > 0 ? 0 : ({ T0: 1, T1: 1, T2: 0.8, T3: 0.6 } as const)[highestTier(subject)];
    const scores: RubricScores = { policyCompliance: pc, simplicity: clamp01(simplicity), predictedTestPass: ptp };
    const ok = pc > 0 && scores.simplicity >= 0.5 && ptp >= 0.5 && weightedScore(scores) >= 0.7;
    if (ok && reasons.length === 0) reasons.push('small and verified by checks');
    return review(this.name, input, ok ? 'ACCEPT' : 'REJECT', scores, reasons);
  }
}

/** The offline pair: [policy-reviewer, simplicity-reviewer]. */
export function createHeuristicReviewers(): [PolicyReviewer, SimplicityReviewer] {
  return [new PolicyReviewer(), new SimplicityReviewer()];
}
