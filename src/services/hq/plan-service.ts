/**
 * The request planner service behind `POST /api/v1/plans` and `cortical plan`: a request in plain
 * words → a Plan (the LLM planner when one is configured, else the rule planner; the rule planner
 * also when the LLM's answer is invalid or the call fails) → the policy verdict → on submit, a task
 * through the same validation and path as `POST /api/v1/tasks`. Refusals are audited
 * (`plan.refused`) on preview and on submit; submitted plans as `plan.submitted`.
 */
import { TerminalError } from '../../core/errors.js';
import { describeNodeClass, planSummary, planToTaskRequest, type Plan, type PlannerKind } from '../../core/planner/plan.js';
import { capUnlimitedGuardrails, checkPlan, isEmptyRequest, type PlanVerdict } from '../../core/planner/request-policy.js';
import { planFromRules, TITLE_MAX_CHARS } from '../../core/planner/rule-planner.js';
import { FALLBACK_AGENT } from '../../core/planner/plan.js';
import type { LlmPlanner } from '../../core/ports/planner.js';
import type { Task } from '../../core/task.js';
import { LlmPlanSchema } from '../../contract/plan-schemas.js';
import { TaskCreateRequest } from '../../contract/task-schemas.js';
import type { HqDeps } from './hq-deps.js';
import { submitTask } from './submit-task.js';

export interface PlanInput {
  readonly request: string;
  /** Project given with the request (wins over one named in the text). */
  readonly project?: string | undefined;
}

export interface PlanOutcome {
  readonly planner: PlannerKind;
  readonly plan: Plan;
  readonly verdict: PlanVerdict;
  /** The created task (submit of an allowed plan), else null. */
  readonly task: Task | null;
}

const AUDIT_REQUEST_CHARS = 500;

export class PlanService {
  constructor(
    private readonly deps: HqDeps,
    private readonly llm: LlmPlanner | null = null,
  ) {}

  /** Whether plans come from a language model (else from the rules alone). */
  get mode(): PlannerKind {
    return this.llm === null ? 'rules' : 'llm';
  }

  /** Plans and checks the request; nothing is created. Refusals are audited. */
  async preview(input: PlanInput, actor: string): Promise<PlanOutcome> {
    const outcome = await this.decide(input);
    if (!outcome.verdict.allowed) await this.audit('plan.refused', input, outcome, actor, null);
    return outcome;
  }

  /** Plans, checks and, when allowed, creates the task. A refusal comes back with `task: null`. */
  async submit(input: PlanInput, actor: string): Promise<PlanOutcome> {
    const outcome = await this.decide(input);
    if (!outcome.verdict.allowed) {
      await this.audit('plan.refused', input, outcome, actor, null);
      return outcome;
    }
    const parsed = TaskCreateRequest.safeParse(planToTaskRequest(outcome.plan, outcome.planner));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ');
      throw new TerminalError('VALIDATION_FAILED', `the plan does not make a valid task: ${issues}`, { plan: outcome.plan });
    }
    const task = await submitTask(this.deps, parsed.data, actor);
    await this.audit('plan.submitted', input, outcome, actor, task.id);
    return { ...outcome, task };
  }

  private async decide(input: PlanInput): Promise<PlanOutcome> {
    const cfg = this.deps.config.planner;
    const request = input.request;
    const { planner, plan: raw } = await this.makePlan(input);
    const plan = capUnlimitedGuardrails(raw, cfg);
    const ks = await this.deps.store.getKillSwitch();
    const verdict = checkPlan(request, plan, cfg, { killSwitchOn: ks.on, killSwitchReason: ks.reason });
    const explained = verdict.allowed
      ? { ...plan, explanation: [...plan.explanation, 'Policy: allowed.'] }
      : { ...plan, explanation: [...plan.explanation, `Policy: refused (${verdict.code ?? 'refused'}).`] };
    return { planner, plan: explained, verdict, task: null };
  }

  private rules(input: PlanInput): Plan {
    const cfg = this.deps.config.planner;
    return planFromRules({ request: input.request, project: input.project ?? null, defaults: cfg.defaults, defaultAgent: cfg.defaultAgent });
  }

  private async makePlan(input: PlanInput): Promise<{ planner: PlannerKind; plan: Plan }> {
    // Nothing to ask a model about: the policy refuses empty requests anyway.
    if (this.llm === null || isEmptyRequest(input.request)) return { planner: 'rules', plan: this.rules(input) };
    const cfg = this.deps.config.planner;
    let why: string;
    try {
      const answer = await this.llm.plan({
        request: input.request,
        project: input.project ?? null,
        defaults: cfg.defaults,
        defaultAgent: cfg.defaultAgent ?? FALLBACK_AGENT,
        allowedAgents: cfg.allowedAgents,
      });
      const parsed = LlmPlanSchema.safeParse(tidyLlmAnswer(answer));
      if (parsed.success) {
        const p = parsed.data;
        const plan: Plan = {
          ...p,
          project: input.project ?? p.project,
          nodeClass: p.nodeClass ?? describeNodeClass(p.agent, p.requires),
          explanation: [`Planned by the language model ${this.llm.model}.`, ...p.explanation],
        };
        return { planner: 'llm', plan };
      }
      const first = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`).join('; ');
      why = `its plan was not valid (${first})`;
    } catch (e) {
      why = `the call failed (${e instanceof Error ? e.message : String(e)})`;
    }
    this.deps.logger.warn({ model: this.llm.model, why }, 'LLM planner fell back to the rule planner');
    const plan = this.rules(input);
    return { planner: 'rules', plan: { ...plan, explanation: [`The language model ${this.llm.model} was asked, but ${why}; the rule planner made this plan instead.`, ...plan.explanation] } };
  }

  private async audit(type: 'plan.refused' | 'plan.submitted', input: PlanInput, o: PlanOutcome, actor: string, taskId: string | null): Promise<void> {
    await this.deps.store.appendEvents({
      events: [
        {
          type,
          taskId,
          nodeId: null,
          data: {
            actor,
            request: input.request.slice(0, AUDIT_REQUEST_CHARS),
            verdict: { ...o.verdict },
            planner: o.planner,
            plan: planSummary(o.plan),
          },
        },
      ],
      nowMs: this.deps.clock.nowMs(),
    });
    if (type === 'plan.refused') this.deps.logger.info({ actor, code: o.verdict.code, planner: o.planner }, 'planned request refused');
  }
}

/**
 * Small, meaning-preserving repairs of what models commonly write: an over-long title is cut,
 * empty strings for the nullable model, until and repo become null. Everything else must already
 * be right.
 */
export function tidyLlmAnswer(answer: unknown): unknown {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return answer;
  const a: Record<string, unknown> = { ...(answer as Record<string, unknown>) };
  if (typeof a.title === 'string') {
    const t = a.title.replace(/\s+/g, ' ').trim();
    a.title = t.length <= TITLE_MAX_CHARS ? t : `${t.slice(0, TITLE_MAX_CHARS - 1).trimEnd()}…`;
  }
  for (const key of ['model', 'until', 'repo'] as const) {
    const v = a[key];
    if (typeof v === 'string' && v.trim() === '') a[key] = null;
  }
  return a;
}
