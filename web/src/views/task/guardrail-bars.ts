/** The task's usage against its guardrails, as bar values. Pure. */
import type { TaskDto } from './task-types.js';
import { formatDuration, formatTokens, formatUsd } from './format.js';

export type GuardrailName = 'Iterations' | 'Tokens' | 'Dollars' | 'Time';

export interface GuardrailBar {
  readonly name: GuardrailName;
  readonly value: number;
  /** null: no limit set (show the value without a bar). */
  readonly max: number | null;
  /** value / max, clamped to 0..1; null without a limit. */
  readonly fraction: number | null;
  /** e.g. `3 / 10`, `$1.20 / $5.00`, `12.4k` */
  readonly text: string;
  /** at or over the limit */
  readonly exceeded: boolean;
}

function bar(name: GuardrailName, value: number, max: number | null, fmt: (n: number) => string): GuardrailBar {
  const limited = max !== null && max > 0;
  const fraction = limited ? Math.min(1, Math.max(0, value / max)) : null;
  return {
    name,
    value,
    max: limited ? max : null,
    fraction,
    text: limited ? `${fmt(value)} / ${fmt(max)}` : `${fmt(value)} (no limit)`,
    exceeded: limited && value >= max,
  };
}

/**
 * Iterations, tokens (in + out), dollars and time (the task's cumulative runtime) against
 * `maxIterations`, `budgetTokens`, `budgetUsd` and `timeoutMs`.
 */
export function guardrailBars(task: Pick<TaskDto, 'usage' | 'runtimeMs' | 'spec'>): GuardrailBar[] {
  const g = task.spec.guardrails;
  const u = task.usage;
  return [
    bar('Iterations', u.iterations, g.maxIterations, String),
    bar('Tokens', u.tokensIn + u.tokensOut, g.budgetTokens, formatTokens),
    bar('Dollars', u.usd, g.budgetUsd, formatUsd),
    bar('Time', task.runtimeMs, g.timeoutMs, formatDuration),
  ];
}
