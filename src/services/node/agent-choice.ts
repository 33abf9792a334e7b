/**
 * Which agent runs a task's next iteration: the task's own agent (as resleeved), then, after a
 * rate limit, the task's fallbacks in order. Also which model endpoint each driver talks to, so
 * a sleeve's network can reach exactly that endpoint.
 */
import { endpointHostPort, type ModelEndpoint, type ModelEndpoints } from '../../core/model-endpoints.js';
import type { SleeveOptions } from '../../core/ports/agent-driver.js';
import type { PreparedWorkspace } from '../../core/ports/workspace.js';
import type { SandboxSpec } from '../../core/sandbox.js';
import type { TaskSpec } from '../../core/task.js';

export interface AgentChoice {
  readonly agent: string;
  readonly model: string | null;
}

/** The endpoints each driver may use (in order of preference). */
const DRIVER_ENDPOINTS: Readonly<Record<string, readonly (keyof ModelEndpoints)[]>> = {
  claude: ['anthropic'],
  codex: ['openai'],
  opencode: ['openai'],
  aider: ['openai'],
  gemini: ['gemini'],
  builtin: ['openaiCompatible', 'anthropic'],
};

/** Whether `agent` talks to a model endpoint (and so needs one configured to be of use). */
export function needsEndpoint(agent: string): boolean {
  return agent in DRIVER_ENDPOINTS;
}

/** The endpoint `agent` would talk to, or null (shell, script, or nothing configured). */
export function endpointFor(agent: string, endpoints: ModelEndpoints): ModelEndpoint | null {
  for (const kind of DRIVER_ENDPOINTS[agent] ?? []) {
    const e = endpoints[kind];
    if (e !== null) return e;
  }
  return null;
}

/**
 * The sandbox of an iteration of `agent`: the task's own, with the agent's model endpoint added
 * to the network allowlist (`none` becomes an allowlist of just that endpoint; `open` stays open).
 */
export function sandboxForAgent(sandbox: SandboxSpec, agent: string, endpoints: ModelEndpoints): SandboxSpec {
  const endpoint = endpointFor(agent, endpoints);
  const host = endpoint === null ? null : endpointHostPort(endpoint.baseUrl);
  if (host === null || sandbox.network.mode === 'open') return sandbox;
  if (sandbox.network.allow.includes(host)) return sandbox;
  return { ...sandbox, network: { mode: 'allowlist', allow: [...sandbox.network.allow, host] } };
}

/**
 * The chain of agents a task may use: its agent first, then its fallbacks (duplicates dropped).
 * `next` moves along it after a rate limit; `reset` goes back to the head (a resleeve).
 */
export class AgentChain {
  private chain: AgentChoice[];
  private index = 0;

  constructor(head: AgentChoice, private readonly fallbacks: readonly AgentChoice[]) {
    this.chain = AgentChain.build(head, fallbacks);
  }

  private static build(head: AgentChoice, fallbacks: readonly AgentChoice[]): AgentChoice[] {
    const seen = new Set<string>();
    const out: AgentChoice[] = [];
    for (const c of [head, ...fallbacks]) {
      const key = `${c.agent}\u0000${c.model ?? ''}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(c);
      }
    }
    return out;
  }

  get current(): AgentChoice {
    return this.chain[this.index]!;
  }

  /** How many times the chain has moved on (the back-off exponent). */
  get fallbackCount(): number {
    return this.index;
  }

  /** Moves to the next fallback; false when none is left. */
  next(): boolean {
    if (this.index + 1 >= this.chain.length) return false;
    this.index += 1;
    return true;
  }

  /**
   * After a rate limit: moves to the next fallback and gives the back-off before it (doubling per
   * fallback from `baseBackoffMs`; the endpoint's Retry-After when longer); null when none is left.
   */
  fallBack(retryAfterMs: number | null, baseBackoffMs: number): { to: AgentChoice; backoffMs: number } | null {
    if (!this.next()) return null;
    return { to: this.current, backoffMs: Math.max(baseBackoffMs * 2 ** (this.index - 1), retryAfterMs ?? 0) };
  }

  /** The task's agent changed (resleeve): start over from it. True when it differs from the head. */
  reset(head: AgentChoice): boolean {
    const changed = head.agent !== this.chain[0]!.agent || head.model !== this.chain[0]!.model;
    if (changed) {
      this.chain = AgentChain.build(head, this.fallbacks);
      this.index = 0;
    }
    return changed;
  }
}

/** `claude (sonnet)`, or the agent alone when no model is named. */
export function describeChoice(c: AgentChoice): string {
  return `${c.agent}${c.model ? ` (${c.model})` : ''}`;
}

/** The agent chain of a spec: its agent and model, then its fallbacks (older specs have none). */
export function agentChainOf(spec: TaskSpec): AgentChain {
  return new AgentChain({ agent: spec.agent, model: spec.model ?? null }, (spec.fallbacks ?? []).map((f) => ({ agent: f.agent, model: f.model })));
}

/**
 * The task's sandbox and the workspace's path rules, for every process of an iteration; an
 * agent's sleeves may also reach that agent's model endpoint (agent null: the `until` check).
 */
export function sleeveOptionsFor(sandbox: SandboxSpec, ws: Pick<PreparedWorkspace, 'readOnlyPaths' | 'writablePaths'>, agent: string | null, endpoints: ModelEndpoints): SleeveOptions {
  return { sandbox: agent === null ? sandbox : sandboxForAgent(sandbox, agent, endpoints), readOnlyPaths: ws.readOnlyPaths, writablePaths: ws.writablePaths };
}
