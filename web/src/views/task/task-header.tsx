import type { TaskDto } from './task-types.js';
import { formatTokens, formatUsd } from './format.js';

/** The first line of the prompt, shortened: the task's title. */
export function taskTitle(prompt: string): string {
  const first = prompt.split('\n').find((l) => l.trim() !== '') ?? prompt;
  return first.length > 120 ? `${first.slice(0, 119)}…` : first;
}

export function TaskHeader({ task }: { task: TaskDto }) {
  const s = task.spec;
  const model = s.model ?? null;
  return (
    <header className="tv-header">
      <h1 className="tv-title">{taskTitle(s.prompt)}</h1>
      {s.prompt.includes('\n') || s.prompt.length > 120 ? (
        <details className="tv-prompt">
          <summary>Full prompt</summary>
          <pre>{s.prompt}</pre>
        </details>
      ) : null}
      <dl className="tv-facts">
        <div>
          <dt>State</dt>
          <dd>
            <span className={`tv-state tv-state-${task.state}`} data-state={task.state}>
              {task.state}
            </span>
            {task.reason !== null ? <span className="tv-reason"> ({task.reason})</span> : null}
            {task.message !== null && task.message !== '' ? <span className="tv-message">: {task.message}</span> : null}
            {task.desired !== 'run' && !['succeeded', 'failed', 'cancelled'].includes(task.state) ? (
              <span className="tv-desired"> — asked to {task.desired === 'pause_now' ? 'pause now' : task.desired}</span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd>
            {s.agent}
            {model !== null ? ` / ${model}` : ''}
          </dd>
        </div>
        <div>
          <dt>Node</dt>
          <dd>{task.nodeId ?? '—'}</dd>
        </div>
        <div>
          <dt>Project</dt>
          <dd>{s.project ?? 'default'}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>
            {task.attempts} of {s.maxAttempts}
          </dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd>
            {s.mode}
            {s.tier !== undefined ? `, tier ${s.tier}` : ''}
          </dd>
        </div>
        <div>
          <dt>Spent</dt>
          <dd>
            {formatUsd(task.usage.usd)}, {formatTokens(task.usage.tokensIn + task.usage.tokensOut)} tokens
          </dd>
        </div>
        {s.until !== null ? (
          <div>
            <dt>Until</dt>
            <dd>
              <code>{s.until}</code>
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Id</dt>
          <dd>
            <code>{task.id}</code>
          </dd>
        </div>
      </dl>
    </header>
  );
}
