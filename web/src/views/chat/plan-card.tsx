import type { PlanResponse } from './chat-model.js';
import { guardrailLines } from './chat-model.js';

export interface PlanCardProps {
  response: PlanResponse;
  /** Set once the plan ran (the created task). */
  taskId: string | null;
  /** Why submitting was refused (403 POLICY_DENIED), if it was. */
  refusal: string | null;
  runError: string | null;
  running: boolean;
  onRun?: () => void;
}

/** HQ's answer to a request: the plan it would run, the policy verdict and the run button. */
export function PlanCard(props: PlanCardProps) {
  const { response, taskId, refusal, runError, running, onRun } = props;
  const { plan, verdict, planner } = response;
  const refused = !verdict.allowed;
  return (
    <div className="cv-plan" data-allowed={verdict.allowed}>
      <h3 className="cv-plan-title">{plan.title}</h3>
      <dl className="cv-plan-facts">
        <div>
          <dt>Agent</dt>
          <dd>
            {plan.agent}
            {plan.model !== null ? ` / ${plan.model}` : ' (node default model)'}
          </dd>
        </div>
        <div>
          <dt>Runs on</dt>
          <dd>{plan.nodeClass}</dd>
        </div>
        <div>
          <dt>Requires</dt>
          <dd>{plan.requires.length === 0 ? 'nothing special' : plan.requires.join(', ')}</dd>
        </div>
        <div>
          <dt>Guardrails</dt>
          <dd>{guardrailLines(plan.guardrails).join('; ')}</dd>
        </div>
        <div>
          <dt>Until</dt>
          <dd>{plan.until === null ? 'no check (the agent decides when it is done)' : <code>{plan.until}</code>}</dd>
        </div>
        <div>
          <dt>Tier</dt>
          <dd>{plan.tier}</dd>
        </div>
        <div>
          <dt>Project</dt>
          <dd>{plan.project}</dd>
        </div>
        {plan.repo !== undefined && plan.repo !== null ? (
          <div>
            <dt>Repository</dt>
            <dd>
              <code>{plan.repo}</code>
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Planner</dt>
          <dd>{planner === 'llm' ? 'model (llm)' : 'rules'}</dd>
        </div>
      </dl>
      {plan.checks.length > 0 ? (
        <div className="cv-plan-section">
          <h4>Cortical checks</h4>
          <ul>
            {plan.checks.map((c, i) => (
              <li key={i}>{c}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {plan.explanation.length > 0 ? (
        <div className="cv-plan-section">
          <h4>Why this plan</h4>
          <ul>
            {plan.explanation.map((c, i) => (
              <li key={i}>{c}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <details className="cv-plan-prompt">
        <summary>Prompt the agent gets</summary>
        <pre>{plan.prompt}</pre>
      </details>
      {refused ? (
        <p role="alert" className="cv-refused">
          Refused: {verdict.reason ?? verdict.code ?? 'the policy does not allow this plan'}
        </p>
      ) : refusal !== null ? (
        <p role="alert" className="cv-refused">
          Refused: {refusal}
        </p>
      ) : (
        <p className="cv-allowed">Allowed by policy.</p>
      )}
      {runError !== null ? (
        <p role="alert" className="cv-error">
          Could not run the plan: {runError}
        </p>
      ) : null}
      {!refused && refusal === null && taskId === null && onRun !== undefined ? (
        <button type="button" className="cv-run" disabled={running} onClick={onRun}>
          {running ? 'Starting…' : 'Run this plan'}
        </button>
      ) : null}
    </div>
  );
}
