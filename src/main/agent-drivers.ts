/** Every agent driver Cortical ships; a node keeps those whose CLI it finds (agent-discovery.ts). */
import { AiderDriver } from '../adapters/agents/aider/aider-driver.js';
import { BuiltinDriver } from '../adapters/agents/builtin/builtin-driver.js';
import { ClaudeDriver } from '../adapters/agents/claude/claude-driver.js';
import { CodexDriver } from '../adapters/agents/codex/codex-driver.js';
import { GeminiDriver } from '../adapters/agents/gemini/gemini-driver.js';
import { OpencodeDriver } from '../adapters/agents/opencode/opencode-driver.js';
import { ScriptAgent } from '../adapters/agents/script/script-agent.js';
import { ShellAgent } from '../adapters/agents/shell/shell-agent.js';
import type { AgentPolicyGate } from '../core/agent-policy-map.js';
import type { AgentDriver } from '../core/ports/agent-driver.js';

export interface AgentDriversOptions {
  /**
   * The node's policy gate (its PolicyDecisionLog): the shell agent's commands and Claude Code's
   * tool calls and the built-in agent's are decided with it (docs/policy-enforcement.md). Absent: not checked.
   */
  readonly policy?: AgentPolicyGate;
}

export function allAgentDrivers(options: AgentDriversOptions = {}): Map<string, AgentDriver> {
  const { policy } = options;
  const drivers: AgentDriver[] = [
    new ShellAgent(policy === undefined ? {} : { policy }),
    new ScriptAgent(),
    new ClaudeDriver(policy === undefined ? {} : { policy }),
    new CodexDriver(),
    new GeminiDriver(),
    new OpencodeDriver(),
    new AiderDriver(),
    new BuiltinDriver(policy === undefined ? {} : { policy }),
  ];
  return new Map(drivers.map((d) => [d.name, d]));
}
