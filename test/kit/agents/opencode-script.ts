/**
 * What a generic test needs to drive OpenCode against the scripted model server: the OpenAI
 * Chat Completions protocol, endpoints, a model and a "write a file" script.
 *
 * OpenCode 1.18.33 sends its main requests (with tools: bash, edit, glob, grep, read, skill,
 * task, todowrite, webfetch, write) to `POST /v1/chat/completions`, streaming. The driver passes
 * `--title`, so no title request comes; any request without tools still gets a short text. The
 * model writes with the `write` tool (`filePath` relative to the workspace, `content`).
 */
import { OpencodeDriver } from '../../../src/adapters/agents/opencode/opencode-driver.js';
import type { DriverKit } from '../../../src/adapters/agents/agent-driver.contract.js';
import { NO_ENDPOINTS, type ModelEndpoints } from '../../../src/core/model-endpoints.js';
import type { Responder, ScriptedUsage } from '../model-server/model-server-types.js';
import { openAiChatProtocol } from '../model-server/openai-chat-protocol.js';

export const OPENCODE_TEST_MODEL = 'gpt-4.1';

/** The model writes `relPath` with the write tool, then ends with a text once it has a tool result. */
export function opencodeWriteFileScript(relPath: string, content: string, usage?: ScriptedUsage): Responder {
  return (req) => {
    if (req.toolNames.length === 0) return { text: 'ok', usage: { input: 10, output: 2 } };
    if (req.toolResults.length === 0) {
      return { toolCalls: [{ name: 'write', input: { filePath: relPath, content } }], usage: usage ?? { input: 1200, output: 60 } };
    }
    return { text: `Wrote ${relPath}.`, usage: usage ?? { input: 1400, output: 12 } };
  };
}

export const opencodeKit: DriverKit = {
  protocols: [openAiChatProtocol],
  endpoints(serverUrl: string, apiKey: string): ModelEndpoints {
    return { ...NO_ENDPOINTS, openai: { baseUrl: `${serverUrl}/v1`, apiKey, defaultModel: OPENCODE_TEST_MODEL } };
  },
  model: OPENCODE_TEST_MODEL,
  writeFileScript: opencodeWriteFileScript,
  makeDriver: (bin: string) => new OpencodeDriver({ bin: bin === '' ? 'opencode' : bin }),
};
