/**
 * The built-in agent's tool-calling loop: call the model, report what it said and used, run the
 * tools it called (each through the policy), hand the results back, until it answers without
 * calling a tool. Guidance that arrived is added as a user message before every model call. A
 * refused call goes back to the model as a tool error and the loop goes on.
 */
import type { BuiltinEvent } from './builtin-events.js';
import { addUsage, ModelCallError, ZERO_USAGE, type ConversationItem, type ModelClient, type ModelTurn, type ToolSpec } from './builtin-model-types.js';
import type { ToolRunResult } from './builtin-tool-runner.js';

export interface LoopDeps {
  readonly client: ModelClient;
  readonly tools: readonly ToolSpec[];
  runTool(name: string, argsText: string): Promise<ToolRunResult>;
  /** New guidance texts (the program's inbox). */
  takeGuidance(): string[];
  emit(event: BuiltinEvent): void;
  sleep(ms: number): Promise<void>;
}

export interface LoopSettings {
  readonly model: string;
  readonly system: string;
  readonly prompt: string;
  readonly maxSteps: number;
  readonly maxRetries: number;
  readonly maxRetryWaitMs: number;
  /** Characters of a tool call's arguments shown in a tool_call event. */
  readonly maxInputChars?: number;
}

export type LoopOutcome = 'done' | 'error' | 'step_limit';

export const DEFAULT_SYSTEM_PROMPT = [
  'You are a coding agent working in a software workspace (your current directory).',
  'Use the tools to read, search, create and edit files and to run commands; paths are relative to the workspace.',
  'Some tool calls may be refused by policy: the tool result then says why; choose another way within the rules.',
  'Work until the task is complete, then answer with a short summary of what you did, without calling a tool.',
].join('\n');

/** The backoff before retry `attempt` (1-based): the endpoint's Retry-After when given, else 1 s, 2 s, 4 s … capped. */
export function retryWaitMs(attempt: number, retryAfterMs: number | undefined, cap: number): number {
  const base = retryAfterMs ?? 1000 * 2 ** (attempt - 1);
  return Math.min(Math.max(0, base), cap);
}

export async function runAgentLoop(deps: LoopDeps, settings: LoopSettings): Promise<LoopOutcome> {
  const conversation: ConversationItem[] = [{ role: 'user', text: settings.prompt }];
  let usage = ZERO_USAGE;
  const maxInput = settings.maxInputChars ?? 4000;

  const call = async (): Promise<ModelTurn | null> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await deps.client.turn({ system: settings.system, conversation, tools: deps.tools });
      } catch (e) {
        const err = e instanceof ModelCallError ? e : new ModelCallError('agent_error', e instanceof Error ? e.message : String(e), false);
        if (err.retryable && attempt <= settings.maxRetries) {
          const wait = retryWaitMs(attempt, err.retryAfterMs, settings.maxRetryWaitMs);
          deps.emit({ builtin: 'retry', attempt, waitMs: wait, message: err.message });
          await deps.sleep(wait);
          continue;
        }
        deps.emit({ builtin: 'error', reason: err.reason, message: err.message, fatal: true, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) });
        return null;
      }
    }
  };

  for (let step = 1; step <= settings.maxSteps; step++) {
    for (const text of deps.takeGuidance()) {
      conversation.push({ role: 'user', text });
      deps.emit({ builtin: 'guidance', text });
    }
    const turn = await call();
    if (turn === null) return 'error';
    usage = addUsage(usage, turn.usage);
    deps.emit({ builtin: 'usage', model: settings.model, ...usage });
    if (turn.text.trim() !== '') deps.emit({ builtin: 'message', text: turn.text });
    conversation.push({ role: 'assistant', text: turn.text, toolCalls: turn.toolCalls });
    if (turn.toolCalls.length === 0) {
      // Guidance that came in during the last turn gets its own turn before the agent stops.
      const late = deps.takeGuidance();
      if (late.length > 0) {
        for (const text of late) {
          conversation.push({ role: 'user', text });
          deps.emit({ builtin: 'guidance', text });
        }
        continue;
      }
      deps.emit({ builtin: 'done', summary: turn.text.trim() === '' ? null : turn.text.trim() });
      return 'done';
    }
    for (const tc of turn.toolCalls) {
      deps.emit({ builtin: 'tool_call', id: tc.id, name: tc.name, input: tc.argsText.length > maxInput ? `${tc.argsText.slice(0, maxInput)}…` : tc.argsText });
      const result = await deps.runTool(tc.name, tc.argsText);
      if (result.decision !== undefined) deps.emit({ builtin: 'policy_decision', id: tc.id, name: tc.name, ...result.decision });
      if (result.denied !== undefined) deps.emit({ builtin: 'policy_denied', id: tc.id, name: tc.name, tier: result.denied.tier, reason: result.denied.reason });
      deps.emit({ builtin: 'tool_result', id: tc.id, ok: result.ok, output: result.output });
      for (const c of result.changes) deps.emit({ builtin: 'file_change', path: c.path, change: c.change });
      conversation.push({ role: 'tool', callId: tc.id, name: tc.name, output: result.output, isError: !result.ok });
    }
  }
  deps.emit({ builtin: 'error', reason: 'agent_error', message: `stopped after ${settings.maxSteps} model calls without finishing (maxSteps)`, fatal: true });
  return 'step_limit';
}
