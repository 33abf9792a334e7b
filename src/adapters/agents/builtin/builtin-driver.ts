/**
 * The `builtin` driver: Cortical's own agent. Each iteration runs builtin-agent-program.ts with
 * Node (through tsx) inside the sleeve, so its tool calls (file edits, commands) are sandboxed,
 * pointed at the node's OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp) or Anthropic. Every
 * tool call passes the tool policy (src/core/tool-policy.ts). Guidance is live: a file the program
 * reads before each model call.
 *
 * With the node's policy gate (`policy`), each iteration is decided with the task's rules as the
 * gate has them when it starts (the task's policy and the fleet lockdown, which the program
 * honours: T2/T3 calls are refused while it is on), and every decision the program prints is
 * recorded with the gate (docs/policy-enforcement.md). Without one, the static `toolPolicy`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AgentPolicyGate, AgentPolicyRules } from '../../../core/agent-policy-map.js';
import { CorticalError } from '../../../core/errors.js';
import { redactKeys, type ModelEndpoint, type ModelEndpoints } from '../../../core/model-endpoints.js';
import type { AgentDriver, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { DEFAULT_PRICES, type PriceTable } from '../../../core/pricing.js';
import { DEFAULT_TOOL_POLICY, policyProblems, type ToolPolicy } from '../../../core/tool-policy.js';
import { iterationEnv, sleeveAgentRun } from '../sleeve-agent-run.js';
import { BUILTIN_API_KEY_ENV, BUILTIN_DIR_NAME, BuiltinLimitsSchema, type BuiltinConfig, type BuiltinEndpointKind, type BuiltinLimits } from './builtin-config.js';
import { GuidanceOutbox } from './builtin-guidance.js';
import { BuiltinOutputParser } from './builtin-output-parser.js';

/** The program the driver runs in the sleeve, shipped next to this file. */
export const BUILTIN_PROGRAM_PATH = fileURLToPath(new URL('./builtin-agent-program.ts', import.meta.url));

/** The version `detect()` reports: the agent ships with Cortical. */
export const BUILTIN_AGENT_VERSION = '0.1.0';

/** The model when neither the task nor the endpoint names one. */
export const BUILTIN_DEFAULT_MODELS: Readonly<Record<BuiltinEndpointKind, string>> = { openai: 'qwen2.5-coder', anthropic: 'claude-sonnet-4-5' };

export interface BuiltinDriverOptions {
  /** The Node executable (default this process's). */
  readonly nodePath?: string;
  readonly prices?: PriceTable;
  /** Which endpoint when the node has both; default the OpenAI-compatible one (as agent-choice.ts orders them). */
  readonly prefer?: 'openaiCompatible' | 'anthropic';
  /** The tool policy without a gate (default: T1, the workspace only). */
  readonly toolPolicy?: Partial<ToolPolicy>;
  /**
   * The node's policy gate: each iteration's tool calls are decided with the task's rules from it
   * (instead of `toolPolicy`) and every decision is recorded with it. Absent: `toolPolicy`, nothing
   * recorded.
   */
  readonly policy?: AgentPolicyGate;
  readonly limits?: Partial<BuiltinLimits>;
}

/** The tsx loader (ESM hook) as a file URL, for `node --import`. */
export function tsxLoaderUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

/** The endpoint the built-in agent talks to, and which API it speaks. */
export function chooseEndpoint(endpoints: ModelEndpoints | undefined, prefer: BuiltinDriverOptions['prefer']): { kind: BuiltinEndpointKind; endpoint: ModelEndpoint } | null {
  if (endpoints === undefined) return null;
  const order: ('openaiCompatible' | 'anthropic')[] = prefer === 'anthropic' ? ['anthropic', 'openaiCompatible'] : ['openaiCompatible', 'anthropic'];
  for (const key of order) {
    const endpoint = endpoints[key];
    if (endpoint !== null) return { kind: key === 'anthropic' ? 'anthropic' : 'openai', endpoint };
  }
  return null;
}

function policyConfig(p: ToolPolicy): BuiltinConfig['policy'] {
  return { maxTier: p.maxTier, allow: [...p.allow], deny: [...p.deny], roots: [...p.roots] };
}

export class BuiltinDriver implements AgentDriver {
  readonly name = 'builtin';
  readonly guidance = 'live' as const;

  constructor(private readonly options: BuiltinDriverOptions = {}) {
    const problems = policyProblems({ ...DEFAULT_TOOL_POLICY, ...options.toolPolicy });
    if (problems.length > 0) throw new CorticalError('VALIDATION_FAILED', `invalid tool policy: ${problems.join('; ')}`, { problems });
  }

  detect(): Promise<{ readonly version: string }> {
    return Promise.resolve({ version: BUILTIN_AGENT_VERSION });
  }

  async startIteration(input: AgentIterationInput): Promise<AgentRun> {
    if (input.prompt.trim() === '') throw new CorticalError('VALIDATION_FAILED', 'the builtin agent needs a prompt');
    const chosen = chooseEndpoint(input.endpoints, this.options.prefer);
    if (chosen === null) {
      throw new CorticalError('VALIDATION_FAILED', 'the builtin agent needs a model endpoint: set CORTICAL_LLM_BASE_URL (an OpenAI-compatible server) or ANTHROPIC_API_KEY on the node');
    }
    const model = input.model ?? chosen.endpoint.defaultModel ?? BUILTIN_DEFAULT_MODELS[chosen.kind];
    const runDir = input.homePath !== undefined ? join(input.homePath, BUILTIN_DIR_NAME) : mkdtempSync(join(tmpdir(), 'cortical-builtin-'));
    mkdirSync(runDir, { recursive: true, mode: 0o755 });
    const outbox = new GuidanceOutbox(join(runDir, 'guidance'));
    const gate = this.options.policy;
    const rules: AgentPolicyRules = gate?.rulesFor(input.taskId) ?? { policy: { ...DEFAULT_TOOL_POLICY, ...this.options.toolPolicy }, lockdown: false };
    const config: BuiltinConfig = {
      version: 1,
      endpoint: { kind: chosen.kind, baseUrl: chosen.endpoint.baseUrl, model },
      prompt: input.prompt,
      workspace: input.workspacePath,
      guidanceDir: outbox.dir,
      policy: policyConfig(rules.policy),
      lockdown: rules.lockdown,
      limits: BuiltinLimitsSchema.parse(this.options.limits ?? {}),
    };
    const configPath = join(runDir, 'config.json');
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
    const sleeve = await input.runtime.spawn({
      command: this.options.nodePath ?? process.execPath,
      args: ['--import', tsxLoaderUrl(), BUILTIN_PROGRAM_PATH, configPath],
      cwd: input.workspacePath,
      env: {
        ...iterationEnv(input),
        ...(input.homePath !== undefined ? { HOME: input.homePath } : {}),
        [BUILTIN_API_KEY_ENV]: chosen.endpoint.apiKey,
        NODE_NO_WARNINGS: '1',
      },
      ...(input.sleeve ?? {}),
      readOnlyPaths: [...(input.sleeve?.readOnlyPaths ?? []), configPath, outbox.dir],
    });
    const endpoints = input.endpoints!;
    const parser = new BuiltinOutputParser(
      this.options.prices ?? DEFAULT_PRICES,
      (text) => redactKeys(text, endpoints),
      gate === undefined ? undefined : (decision) => gate.record(input.taskId, input.iteration, decision),
    );
    // Once the program has finished (or is gone) nothing reads the guidance files any more.
    let closed = false;
    void sleeve.exited.then(() => {
      closed = true;
    });
    const run = sleeveAgentRun(sleeve, (l) => {
      const events = parser.line(l.stream, l.text);
      if (events.some((e) => e.kind === 'done' || (e.kind === 'error' && e.fatal))) closed = true;
      return events;
    });
    return {
      ...run,
      guide: (text: string) =>
        Promise.resolve().then(() => {
          if (closed) throw new CorticalError('CONFLICT', 'the builtin agent iteration has finished; the guidance waits for the next iteration');
          outbox.write(text);
          return 'live' as const;
        }),
    };
  }
}
