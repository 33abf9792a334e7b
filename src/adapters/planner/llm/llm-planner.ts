/**
 * The LLM request planner: asks an OpenAI-compatible chat completions endpoint
 * (`POST {baseUrl}/chat/completions`, not streaming: Ollama, vLLM, llama.cpp server, OpenAI) for
 * a JSON plan. Configured with the CORTICAL_LLM_* settings. The answer is returned as parsed JSON;
 * the plan service validates it. The key goes only into the Authorization header: never into
 * errors or logs.
 */
import type { ModelEndpoint } from '../../../core/model-endpoints.js';
import type { LlmPlanInput, LlmPlanner } from '../../../core/ports/planner.js';
import { askJsonChat } from './json-chat.js';

export interface LlmPlannerOptions {
  readonly endpoint: ModelEndpoint;
  /** The model to ask; the endpoint's default model when absent. */
  readonly model?: string | undefined;
  /** The whole call (connect, answer) must finish within this. */
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch | undefined;
}

/** The system prompt: the Plan's fields and the rules the model must follow. */
export function plannerSystemPrompt(input: LlmPlanInput): string {
  const d = input.defaults;
  return [
    'You are the request planner of Cortical, a control plane that runs AI coding agents on a fleet of nodes.',
    'Turn the user\'s request into ONE JSON object (no prose, no code fences) with exactly these fields:',
    '- title: string, the first sentence of the request, at most 80 characters.',
    '- prompt: string, the instructions for the coding agent (usually the request itself, cleaned up).',
    `- agent: one of ${input.allowedAgents.map((a) => JSON.stringify(a)).join(', ')}; use ${JSON.stringify(input.defaultAgent)} unless the request names another.`,
    '- model: string or null, a model id only if the request names one.',
    '- requires: array of node capabilities (lowercase, e.g. "gpu", "docker"), [] when none are asked for.',
    '- nodeClass: string, a short description of the nodes that can run it, e.g. "any node with codex".',
    `- guardrails: {maxIterations: integer or null, budgetUsd: number or null, budgetTokens: integer or null, timeoutMs: integer or null}; what the request says, else the defaults ${JSON.stringify(d)}.`,
    '- until: string or null, a shell command whose exit 0 ends the loop, only if the request names a command (never invent one).',
    '- checks: array of strings, what must hold at the end (e.g. "tests pass").',
    '- tier: "T0" read-only (explain, review, analyze, list, find), "T1" edits in the workspace (default), "T2" system changes (system-wide installs, /etc, services), "T3" destructive or sensitive (delete, drop database, rm -rf, force push, rotate keys, production).',
    `- project: string, lowercase; ${input.project === null ? '"default" unless the request names a project' : JSON.stringify(input.project)}.`,
    '- repo: string or null, a repository path only if the request names one.',
    '- explanation: array of short sentences, one per decision.',
    'Never plan to print, send or upload secrets, keys, tokens or passwords.',
  ].join('\n');
}

export { extractJson } from './json-chat.js';

export class OpenAiCompatiblePlanner implements LlmPlanner {
  readonly model: string;
  private readonly url: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(opts: LlmPlannerOptions) {
    const model = opts.model ?? opts.endpoint.defaultModel;
    if (model === null || model === '') throw new Error('the LLM planner needs a model: set CORTICAL_LLM_MODEL');
    this.model = model;
    this.url = `${opts.endpoint.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.apiKey = opts.endpoint.apiKey;
    this.timeoutMs = opts.timeoutMs;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
  }

  async plan(input: LlmPlanInput, signal?: AbortSignal): Promise<unknown> {
    try {
      return await this.ask(input, signal);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // No `cause`: the original message may carry the key; only the redacted one leaves.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(this.apiKey.length >= 8 ? message.split(this.apiKey).join('[redacted]') : message);
    }
  }

  private ask(input: LlmPlanInput, signal: AbortSignal | undefined): Promise<unknown> {
    return askJsonChat({
      url: this.url,
      apiKey: this.apiKey,
      model: this.model,
      system: plannerSystemPrompt(input),
      user: input.request,
      timeoutMs: this.timeoutMs,
      fetchFn: this.fetchFn,
      signal,
    });
  }
}
