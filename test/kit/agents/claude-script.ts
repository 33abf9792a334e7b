/**
 * What a generic test needs to drive Claude Code against the scripted model server: the
 * Anthropic protocol, endpoints, a model and a "write a file" script.
 *
 * Claude Code 2.1.330 in `-p` mode sends only main requests (with tools) here; any request
 * without tools (a title or summary call) gets a short text. The model writes with the `Write`
 * tool, whose `file_path` must be absolute: it is built from the working directory Claude Code
 * states in its environment reminder.
 */
import { ClaudeDriver } from '../../../src/adapters/agents/claude/claude-driver.js';
import type { DriverKit } from '../../../src/adapters/agents/agent-driver.contract.js';
import { NO_ENDPOINTS, type ModelEndpoints } from '../../../src/core/model-endpoints.js';
import { anthropicProtocol } from '../model-server/anthropic-protocol.js';
import type { NormalizedRequest, Responder, ScriptedUsage } from '../model-server/model-server-types.js';

export const CLAUDE_TEST_MODEL = 'claude-sonnet-4-5';

/** The working directory Claude Code reports to the model ("Primary working directory: …"). */
export function claudeWorkingDirectory(req: NormalizedRequest): string | null {
  for (const t of req.userTexts) {
    const m = /Primary working directory: (\S+)/.exec(t);
    if (m !== null) return m[1]!;
  }
  const m = /Primary working directory: (\S+)/.exec(req.system);
  return m === null ? null : m[1]!;
}

/** The model writes `relPath` with the Write tool, then ends with a text once it has a tool result. */
export function claudeWriteFileScript(relPath: string, content: string, usage?: ScriptedUsage): Responder {
  return (req) => {
    if (req.toolNames.length === 0) return { text: 'ok', usage: { input: 10, output: 2 } };
    if (req.toolResults.length === 0) {
      const cwd = claudeWorkingDirectory(req);
      const filePath = cwd === null || relPath.startsWith('/') ? relPath : `${cwd}/${relPath}`;
      return { toolCalls: [{ name: 'Write', input: { file_path: filePath, content } }], usage: usage ?? { input: 1200, output: 60 } };
    }
    return { text: `Wrote ${relPath}.`, usage: usage ?? { input: 1400, output: 12 } };
  };
}

export const claudeKit: DriverKit = {
  protocols: [anthropicProtocol],
  endpoints(serverUrl: string, apiKey: string): ModelEndpoints {
    return { ...NO_ENDPOINTS, anthropic: { baseUrl: serverUrl, apiKey, defaultModel: CLAUDE_TEST_MODEL } };
  },
  model: CLAUDE_TEST_MODEL,
  writeFileScript: claudeWriteFileScript,
  makeDriver: (bin: string) => new ClaudeDriver({ bin: bin === '' ? 'claude' : bin, maxRetries: 0, guidanceSettleMs: 5_000 }),
};
