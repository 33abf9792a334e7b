/**
 * Aider's plain-text output → Cortical events, best effort (Aider has no structured output: this
 * driver is degraded). Every line is a `log`; on top of that:
 *
 * - `Model: openai/gpt-4.1 with diff edit format…` → the model used for pricing
 * - `Tokens: 1.2k sent, 300 cache hit, 85 received. Cost: $0.01 message, $0.02 session.` →
 *   cumulative `usage` (counts summed over messages, `sent` taken as all input with the cache
 *   hits part of it; the session cost is Aider's own figure)
 * - `Applied edit to FILE` → `file_change` (modified; Aider does not say whether it created it)
 * - litellm's exception class at the start of a line (`litellm.RateLimitError: …`,
 *   `litellm.AuthenticationError: …`) → a non-fatal `error` (the exit code decides the end)
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { AgentErrorReason, AgentEvent } from '../../../core/ports/agent-driver.js';
import { DEFAULT_PRICES, usageFigures, type PriceTable } from '../../../core/pricing.js';

const TOKENS_LINE = /^Tokens:\s+(.+?)\.(?:\s+Cost:\s+\$([\d.,]+)\s+message,\s+\$([\d.,]+)\s+session\.?)?\s*$/;
const APPLIED_LINE = /^Applied edit to (.+?)\s*$/;
const MODEL_LINE = /^(?:Main model|Model):\s+(\S+)/;
const LITELLM_ERROR = /^litellm\.(\w+):\s*(.*)$/;

const ERROR_REASONS: Readonly<Record<string, AgentErrorReason>> = {
  RateLimitError: 'rate_limited',
  AuthenticationError: 'auth_failed',
  PermissionDeniedError: 'auth_failed',
};

/** `1.2k` → 1200, `12k` → 12000, `1.1M` → 1100000, `850` → 850. */
export function aiderCount(text: string): number | null {
  const m = /^([\d.,]+)\s*([kKmM]?)$/.exec(text.trim());
  if (m === null) return null;
  const n = Number.parseFloat(m[1]!.replace(/,/g, ''));
  if (!Number.isFinite(n)) return null;
  const unit = m[2]!.toLowerCase();
  return Math.round(unit === 'k' ? n * 1_000 : unit === 'm' ? n * 1_000_000 : n);
}

interface MessageTokens {
  sent: number;
  received: number;
  cacheHit: number;
  cacheWrite: number;
}

/** The counts of one `Tokens:` report (`1.2k sent, 50 cache write, 300 cache hit, 85 received`). */
function messageTokens(list: string): MessageTokens | null {
  const out: MessageTokens = { sent: 0, received: 0, cacheHit: 0, cacheWrite: 0 };
  let seen = false;
  for (const item of list.split(',')) {
    const m = /^\s*([\d.,]+\s*[kKmM]?)\s+(sent|received|cache hit|cache write)\s*$/.exec(item);
    if (m === null) continue;
    const n = aiderCount(m[1]!);
    if (n === null) continue;
    seen = true;
    if (m[2] === 'sent') out.sent += n;
    else if (m[2] === 'received') out.received += n;
    else if (m[2] === 'cache hit') out.cacheHit += n;
    else out.cacheWrite += n;
  }
  return seen ? out : null;
}

export class AiderOutputParser {
  private readonly prices: PriceTable;
  private model: string | null;
  private tokensIn = 0;
  private tokensOut = 0;
  private cachedTokensIn = 0;
  private sessionUsd: number | null = null;
  private failed = false;

  constructor(
    private readonly workspacePath: string,
    opts: { model: string | null; prices?: PriceTable },
  ) {
    this.model = opts.model;
    this.prices = opts.prices ?? DEFAULT_PRICES;
  }

  /** Whether Aider printed an API error (then a clean exit is no `done`). */
  get sawError(): boolean {
    return this.failed;
  }

  line(stream: 'stdout' | 'stderr', text: string): AgentEvent[] {
    if (text.trim() === '') return [];
    const out: AgentEvent[] = [{ kind: 'log', stream, text }];
    const t = text.trim();
    const model = MODEL_LINE.exec(t);
    if (model !== null) this.model = model[1]!.replace(/^openai\//, '');
    const applied = APPLIED_LINE.exec(t);
    if (applied !== null) {
      const path = this.relativePath(applied[1]!);
      if (path !== null) out.push({ kind: 'file_change', path, change: 'modified' });
    }
    const tokens = TOKENS_LINE.exec(t);
    if (tokens !== null) out.push(...this.usage(tokens[1]!, tokens[3]));
    const err = LITELLM_ERROR.exec(t);
    if (err !== null && /Error$/.test(err[1]!)) {
      this.failed = true;
      out.push({ kind: 'error', reason: ERROR_REASONS[err[1]!] ?? 'agent_error', message: `${err[1]}: ${err[2]}`.slice(0, 2000), fatal: false });
    }
    return out;
  }

  private usage(list: string, session: string | undefined): AgentEvent[] {
    const m = messageTokens(list);
    if (m === null) return [];
    // Aider's `sent` is litellm's prompt_tokens, which already counts cached input.
    this.tokensIn += m.sent;
    this.tokensOut += m.received;
    this.cachedTokensIn += Math.min(m.cacheHit, m.sent);
    if (session !== undefined) {
      const usd = Number.parseFloat(session.replace(/,/g, ''));
      if (Number.isFinite(usd)) this.sessionUsd = usd;
    }
    const counts = { tokensIn: this.tokensIn, tokensOut: this.tokensOut, cachedTokensIn: this.cachedTokensIn };
    return [{ kind: 'usage', ...counts, model: this.model, ...usageFigures(this.prices, this.model, counts, this.sessionUsd) }];
  }

  private relativePath(file: string): string | null {
    const abs = isAbsolute(file) ? file : resolve(this.workspacePath, file);
    const rel = relative(this.workspacePath, abs);
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? null : rel;
  }
}
