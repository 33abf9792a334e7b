/**
 * A Codex thread's total usage so far, from its rollout file
 * (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-…-THREAD.jsonl`): the last `token_count` event's
 * `info.total_token_usage`. A resumed iteration subtracts it, since Codex's `turn.completed`
 * reports the thread's total, earlier runs included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ZERO_CODEX_USAGE, type CodexTokenCounts } from './codex-stream-parser.js';

const tokenCountSchema = z.object({
  type: z.literal('event_msg'),
  payload: z.object({
    type: z.literal('token_count'),
    info: z.object({
      total_token_usage: z.object({
        input_tokens: z.number().nonnegative(),
        cached_input_tokens: z.number().nonnegative().catch(0),
        output_tokens: z.number().nonnegative(),
        reasoning_output_tokens: z.number().nonnegative().catch(0),
      }),
    }),
  }),
});

/** The rollout file of `threadId` under `codexHome`, or null. */
export function findRollout(codexHome: string, threadId: string): string | null {
  let names: string[];
  try {
    names = readdirSync(join(codexHome, 'sessions'), { recursive: true }).map(String);
  } catch {
    return null;
  }
  const hit = names.find((n) => n.endsWith(`-${threadId}.jsonl`) && n.split(/[\\/]/).at(-1)?.startsWith('rollout-') === true);
  return hit === undefined ? null : join(codexHome, 'sessions', hit);
}

/** The thread's total usage recorded so far; zero when the thread or its usage is unknown. */
export function codexThreadUsage(codexHome: string, threadId: string): CodexTokenCounts {
  const file = findRollout(codexHome, threadId);
  if (file === null) return ZERO_CODEX_USAGE;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return ZERO_CODEX_USAGE;
  }
  let found: CodexTokenCounts = ZERO_CODEX_USAGE;
  for (const line of text.split('\n')) {
    if (!line.includes('"token_count"')) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = tokenCountSchema.safeParse(raw);
    if (!parsed.success) continue;
    const u = parsed.data.payload.info.total_token_usage;
    found = { tokensIn: u.input_tokens, tokensOut: u.output_tokens, cachedTokensIn: u.cached_input_tokens, reasoningTokens: u.reasoning_output_tokens };
  }
  return found;
}
