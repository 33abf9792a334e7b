/**
 * An LLM plan reviewer for the plan debate: asks an OpenAI-compatible chat completions endpoint
 * (`POST {baseUrl}/chat/completions`, not streaming: Ollama, vLLM, llama.cpp server, OpenAI) to
 * review a plan against the rubric and answer strict JSON
 * `{verdict, scores: {policy_compliance, simplicity, predicted_test_pass}, reasons: []}`.
 *
 * It never throws and never turns a failure into ACCEPT: an unreachable endpoint, an HTTP error,
 * a timeout, a cancel, or an answer that is not valid JSON of that shape is a review with verdict
 * ERROR (the debate then fails closed). The key goes only into the Authorization header, never
 * into reasons or logs.
 */
import { z } from 'zod';
import type { DebateSubject, Review, ReviewInput, Reviewer, RubricScores } from '../../../core/debate/debate-types.js';
import { RUBRIC_WEIGHTS } from '../../../core/debate/judge-rubric.js';
import { CorticalError } from '../../../core/errors.js';
import type { ModelEndpoint } from '../../../core/model-endpoints.js';
import type { StopSignal } from '../../../core/runnable.js';
import { askJsonChat } from '../../planner/llm/json-chat.js';

/** What the reviewer looks at hardest; two LLM reviewers with different focuses disagree usefully. */
export const REVIEWER_FOCUSES = ['balanced', 'policy', 'simplicity'] as const;
export type ReviewerFocus = (typeof REVIEWER_FOCUSES)[number];

export interface LlmReviewerOptions {
  readonly endpoint: ModelEndpoint;
  /** The model to ask; the endpoint's default model when absent. */
  readonly model?: string | undefined;
  /** The reviewer's name in the debate log; `llm:<focus>:<model>` when absent. */
  readonly name?: string | undefined;
  readonly focus?: ReviewerFocus | undefined;
  /** The whole call (connect, answer) must finish within this. */
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch | undefined;
}

/** Arguments longer than this are cut in the prompt (a plan may carry whole files). */
export const MAX_PROMPT_ARG_CHARS = 2000;
/** Steps beyond this are left out of the prompt (and counted). */
export const MAX_PROMPT_STEPS = 100;

const score = z.number().min(0, 'a score is at least 0').max(1, 'a score is at most 1');

/** The model's answer. The verdict is taken in any letter case. */
export const ReviewAnswerSchema = z.object({
  verdict: z.preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(['ACCEPT', 'REJECT', 'ERROR'])),
  scores: z.object({ policy_compliance: score, simplicity: score, predicted_test_pass: score }),
  reasons: z.array(z.string().max(1000)).max(20).default([]),
});
export type ReviewAnswer = z.infer<typeof ReviewAnswerSchema>;

const FOCUS_LINES: Readonly<Record<ReviewerFocus, string>> = {
  balanced: 'Weigh all three criteria as the rubric does.',
  policy: 'You are the risk reviewer: look hardest at policy compliance (tiers, refused steps, T3 without a tripcode, T2 without a snapshot, network use, destructive commands, secrets).',
  simplicity: 'You are the simplicity reviewer: look hardest at size and verifiability (number of steps, size of the change, writes outside the workspace, whether the verify checks exist and look like they will pass).',
};

/** The system prompt: the reviewer's role, the rubric and the answer format. */
export function reviewerSystemPrompt(focus: ReviewerFocus = 'balanced'): string {
  const w = RUBRIC_WEIGHTS;
  return [
    'You review plans for Cortical, a control plane that runs AI coding agents. A plan is an intent and a list of tool steps; each step has a capability tier:',
    'T0 read-only, T1 writes inside the workspace, T2 system changes (run only after a snapshot), T3 destructive or sensitive (runs only with a tripcode).',
    'You get the plan, what the policy check found (allowed, typeable, problems, highest tier, whether a snapshot / tripcode is needed), the verify commands that will be run, and the dry-run diff size if known.',
    `Score the plan from 0 to 1 on a rubric: policy_compliance (weight ${w.policyCompliance}), simplicity (weight ${w.simplicity}), predicted_test_pass (weight ${w.predictedTestPass}: how likely the verify commands pass after the plan runs).`,
    'ACCEPT only a plan that is allowed, typeable, as small as the intent needs and likely to pass its checks; otherwise REJECT. A plan the policy refused is always REJECT.',
    'Answer ERROR only when you cannot judge the plan at all.',
    'From round 2 on you also see the earlier reviews; keep or change your verdict, and say why.',
    FOCUS_LINES[focus],
    'Answer with ONE JSON object and nothing else (no prose, no code fences):',
    '{"verdict": "ACCEPT" | "REJECT" | "ERROR", "scores": {"policy_compliance": number, "simplicity": number, "predicted_test_pass": number}, "reasons": [short strings]}',
  ].join('\n');
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters]`;
}

/** The user message: the subject, the round and the earlier reviews, as JSON. */
export function reviewerUserMessage(input: ReviewInput): string {
  const s: DebateSubject = input.subject;
  const steps = s.steps.slice(0, MAX_PROMPT_STEPS).map((st, i) => ({
    n: i + 1,
    tool: st.tool,
    tier: st.tier,
    allowed: st.allowed,
    reasons: st.reasons,
    args: Object.fromEntries(Object.entries(st.args).map(([k, v]) => [k, cut(v, MAX_PROMPT_ARG_CHARS)])),
  }));
  const body = {
    round: input.round,
    intent: cut(s.intent, MAX_PROMPT_ARG_CHARS),
    steps,
    ...(s.steps.length > MAX_PROMPT_STEPS ? { stepsLeftOut: s.steps.length - MAX_PROMPT_STEPS } : {}),
    policy: s.policy,
    checks: s.checks,
    diffStats: s.diffStats ?? null,
    earlierReviews: input.earlier.map((r) => ({
      reviewer: r.reviewer,
      round: r.round,
      verdict: r.verdict,
      scores: { policy_compliance: r.scores.policyCompliance, simplicity: r.scores.simplicity, predicted_test_pass: r.scores.predictedTestPass },
      reasons: r.reasons,
    })),
  };
  return JSON.stringify(body, null, 2);
}

/** The platform AbortSignal for a StopSignal (the same object when it already is one). */
function abortSignalOf(signal: StopSignal | undefined): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (signal instanceof AbortSignal) return signal;
  const c = new AbortController();
  if (signal.aborted) c.abort();
  else signal.addEventListener('abort', () => c.abort(), { once: true });
  return c.signal;
}

export class LlmReviewer implements Reviewer {
  readonly name: string;
  readonly model: string;
  private readonly focus: ReviewerFocus;
  private readonly url: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(opts: LlmReviewerOptions) {
    const model = opts.model ?? opts.endpoint.defaultModel;
    if (model === null || model.trim() === '') throw new CorticalError('VALIDATION_FAILED', 'the LLM reviewer needs a model: give one, or set the endpoint\'s default model (CORTICAL_LLM_MODEL)');
    if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) throw new CorticalError('VALIDATION_FAILED', `the LLM reviewer's timeoutMs must be a positive number of milliseconds, got ${opts.timeoutMs}`);
    this.model = model;
    this.focus = opts.focus ?? 'balanced';
    this.name = opts.name ?? `llm:${this.focus}:${model}`;
    this.url = `${opts.endpoint.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.apiKey = opts.endpoint.apiKey;
    this.timeoutMs = opts.timeoutMs;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
  }

  /** The model's review; a review with verdict ERROR (and the reason) when anything goes wrong. */
  async review(input: ReviewInput, signal?: StopSignal): Promise<Review> {
    try {
      const answer = await this.ask(input, abortSignalOf(signal));
      const scores: RubricScores = {
        policyCompliance: answer.scores.policy_compliance,
        simplicity: answer.scores.simplicity,
        predictedTestPass: answer.scores.predicted_test_pass,
      };
      const reasons = answer.reasons.length > 0 ? answer.reasons : answer.verdict === 'ERROR' ? [`${this.model} could not judge the plan`] : [];
      return { reviewer: this.name, round: input.round, verdict: answer.verdict, scores, reasons };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return {
        reviewer: this.name,
        round: input.round,
        verdict: 'ERROR',
        scores: { policyCompliance: 0, simplicity: 0, predictedTestPass: 0 },
        reasons: [this.redact(message)],
      };
    }
  }

  private redact(text: string): string {
    return this.apiKey.length >= 8 ? text.split(this.apiKey).join('[redacted]') : text;
  }

  private async ask(input: ReviewInput, signal: AbortSignal | undefined): Promise<ReviewAnswer> {
    const answer = await askJsonChat({
      url: this.url,
      apiKey: this.apiKey,
      model: this.model,
      system: reviewerSystemPrompt(this.focus),
      user: reviewerUserMessage(input),
      timeoutMs: this.timeoutMs,
      fetchFn: this.fetchFn,
      signal,
      cancelledMessage: 'the review was cancelled',
    });
    const parsed = ReviewAnswerSchema.safeParse(answer);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`);
      throw new Error(`the model's review is not valid (${issues.join('; ')})`);
    }
    return parsed.data;
  }
}

