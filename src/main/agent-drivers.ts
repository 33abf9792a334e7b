/** Every agent driver Cortical ships; a node keeps those whose CLI it finds (agent-discovery.ts). */
import { AiderDriver } from '../adapters/agents/aider/aider-driver.js';
import { BuiltinDriver } from '../adapters/agents/builtin/builtin-driver.js';
import { ClaudeDriver } from '../adapters/agents/claude/claude-driver.js';
import { CodexDriver } from '../adapters/agents/codex/codex-driver.js';
import { GeminiDriver } from '../adapters/agents/gemini/gemini-driver.js';
import { OpencodeDriver } from '../adapters/agents/opencode/opencode-driver.js';
import { ScriptAgent } from '../adapters/agents/script/script-agent.js';
import { ShellAgent } from '../adapters/agents/shell/shell-agent.js';
import type { AgentDriver } from '../core/ports/agent-driver.js';

export function allAgentDrivers(): Map<string, AgentDriver> {
  const drivers: AgentDriver[] = [new ShellAgent(), new ScriptAgent(), new ClaudeDriver(), new CodexDriver(), new GeminiDriver(), new OpencodeDriver(), new AiderDriver(), new BuiltinDriver()];
  return new Map(drivers.map((d) => [d.name, d]));
}
