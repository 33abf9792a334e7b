import type { TaskDto } from './task-types.js';
import { guardrailBars } from './guardrail-bars.js';

/** Usage against each guardrail; a guardrail that is not set shows its value without a bar. */
export function GuardrailMeters({ task }: { task: TaskDto }) {
  const bars = guardrailBars(task);
  return (
    <section className="tv-card tv-guardrails" aria-labelledby="tv-guardrails-h">
      <h2 id="tv-guardrails-h">Guardrails</h2>
      <ul className="tv-bars">
        {bars.map((b) => (
          <li key={b.name} className="tv-bar-row" data-guardrail={b.name}>
            <span className="tv-bar-name">{b.name}</span>
            {b.max !== null && b.fraction !== null ? (
              <div
                className={`tv-bar${b.exceeded ? ' tv-bar-exceeded' : ''}`}
                role="progressbar"
                aria-label={b.name}
                aria-valuemin={0}
                aria-valuemax={b.max}
                aria-valuenow={b.value}
                aria-valuetext={b.text}
              >
                <div className="tv-bar-fill" style={{ width: `${(b.fraction * 100).toFixed(1)}%` }} />
              </div>
            ) : (
              <span className="tv-bar-none" />
            )}
            <span className="tv-bar-text">{b.text}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
