/**
 * The driver's side of the built-in agent's output: each stdout line (builtin-events.ts) → Cortical
 * AgentEvents. Usage is priced here (the program knows no prices). A policy refusal becomes a log
 * line (`policy denied: …`) next to the failed tool_result the program reports for it. Every policy
 * decision (`policy_decision`, allowed or not) goes to `onDecision` as an AgentPolicyDecision (the
 * driver records it with the node's policy gate); it is no AgentEvent. Keys are redacted from every
 * text.
 */
import type { AgentPolicyDecision } from '../../../core/agent-policy-map.js';
import type { AgentEvent } from '../../../core/ports/agent-driver.js';
import { usageFigures, type PriceTable } from '../../../core/pricing.js';
import { BuiltinEventSchema } from './builtin-events.js';

export class BuiltinOutputParser {
  constructor(
    private readonly prices: PriceTable,
    private readonly redact: (text: string) => string = (t) => t,
    private readonly onDecision: (decision: AgentPolicyDecision) => void = () => undefined,
  ) {}

  line(stream: 'stdout' | 'stderr', text: string): AgentEvent[] {
    const log: AgentEvent[] = [{ kind: 'log', stream, text: this.redact(text) }];
    if (stream === 'stderr' || !text.startsWith('{')) return text === '' ? [] : log;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return log;
    }
    const parsed = BuiltinEventSchema.safeParse(json);
    if (!parsed.success) return log;
    const e = parsed.data;
    const r = this.redact;
    switch (e.builtin) {
      case 'message':
        return [{ kind: 'message', text: r(e.text) }];
      case 'tool_call':
        return [{ kind: 'tool_call', id: e.id, name: e.name, input: r(e.input) }];
      case 'tool_result':
        return [{ kind: 'tool_result', id: e.id, ok: e.ok, output: r(e.output) }];
      case 'policy_decision':
        this.onDecision({ subject: 'tool_call', agent: 'builtin', tool: e.name, tier: e.tier, allowed: e.allowed, reason: r(e.reason) });
        return [];
      case 'policy_denied':
        return [{ kind: 'log', stream: 'stdout', text: r(`policy denied: ${e.name} (${e.tier}, call ${e.id}): ${e.reason}`) }];
      case 'file_change':
        return [{ kind: 'file_change', path: e.path, change: e.change }];
      case 'usage': {
        const counts = { tokensIn: e.tokensIn, tokensOut: e.tokensOut, cachedTokensIn: e.cachedTokensIn, reasoningTokens: e.reasoningTokens };
        return [{ kind: 'usage', ...counts, model: e.model, ...usageFigures(this.prices, e.model, counts, null) }];
      }
      case 'guidance':
        return [{ kind: 'log', stream: 'stdout', text: r(`guidance received: ${e.text}`) }];
      case 'retry':
        return [{ kind: 'log', stream: 'stdout', text: r(`model call failed (attempt ${e.attempt}), retrying in ${e.waitMs} ms: ${e.message}`) }];
      case 'done':
        return [{ kind: 'done', summary: e.summary === null ? null : r(e.summary) }];
      case 'error':
        return [{ kind: 'error', reason: e.reason, message: r(e.message), fatal: e.fatal, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) }];
    }
  }
}
