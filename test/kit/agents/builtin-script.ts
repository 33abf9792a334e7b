/**
 * What a generic test needs to drive the built-in agent against the scripted model server: the
 * OpenAI Chat protocol (its endpoint is the node's OpenAI-compatible one, `…/v1`), a local model
 * name (not in the price table: $0), and a "write a file" script using its `write_file` tool with
 * a workspace-relative path. The agent sends only main requests (always with tools).
 */
import { BuiltinDriver } from '../../../src/adapters/agents/builtin/builtin-driver.js';
import type { DriverKit } from '../../../src/adapters/agents/agent-driver.contract.js';
import { NO_ENDPOINTS, type ModelEndpoints } from '../../../src/core/model-endpoints.js';
import { anthropicProtocol } from '../model-server/anthropic-protocol.js';
import type { Responder, ScriptedUsage } from '../model-server/model-server-types.js';
import { openAiChatProtocol } from '../model-server/openai-chat-protocol.js';

export const BUILTIN_TEST_MODEL = 'scripted-local-coder';

/** The model writes `relPath` with write_file, then ends with a text once it has a tool result. */
export function builtinWriteFileScript(relPath: string, content: string, usage?: ScriptedUsage): Responder {
  return (req) => {
    if (req.toolNames.length === 0) return { text: 'ok', usage: { input: 10, output: 2 } };
    if (req.toolResults.length === 0) return { toolCalls: [{ name: 'write_file', input: { path: relPath, content } }], usage: usage ?? { input: 900, output: 40 } };
    return { text: `Wrote ${relPath}.`, usage: usage ?? { input: 1000, output: 10 } };
  };
}

/** The built-in agent against the OpenAI-compatible endpoint (no retries, so errors surface at once). */
export const builtinKit: DriverKit = {
  protocols: [openAiChatProtocol],
  endpoints(serverUrl: string, apiKey: string): ModelEndpoints {
    return { ...NO_ENDPOINTS, openaiCompatible: { baseUrl: `${serverUrl}/v1`, apiKey, defaultModel: BUILTIN_TEST_MODEL } };
  },
  model: BUILTIN_TEST_MODEL,
  writeFileScript: builtinWriteFileScript,
  makeDriver: () => new BuiltinDriver({ limits: { maxRetries: 0 } }),
};

export const BUILTIN_ANTHROPIC_TEST_MODEL = 'claude-sonnet-4-5';

/** The same agent against an Anthropic endpoint (Messages API). */
export const builtinAnthropicKit: DriverKit = {
  protocols: [anthropicProtocol],
  endpoints(serverUrl: string, apiKey: string): ModelEndpoints {
    return { ...NO_ENDPOINTS, anthropic: { baseUrl: serverUrl, apiKey, defaultModel: BUILTIN_ANTHROPIC_TEST_MODEL } };
  },
  model: BUILTIN_ANTHROPIC_TEST_MODEL,
  writeFileScript: builtinWriteFileScript,
  makeDriver: () => new BuiltinDriver({ limits: { maxRetries: 0 } }),
};
