/**
 * What a generic test needs to drive the Codex CLI against the scripted model server: the
 * Responses protocol, endpoints, a model Codex knows (no "model metadata not found" warning), a
 * write-a-file script and a driver that gives up on errors at once.
 */
import type { DriverKit } from '../../../src/adapters/agents/agent-driver.contract.js';
import { CodexDriver } from '../../../src/adapters/agents/codex/codex-driver.js';
import type { ModelEndpoints } from '../../../src/core/model-endpoints.js';
import type { NormalizedRequest, Responder, ScriptedToolCall, ScriptedUsage } from '../model-server/model-server-types.js';
import { openAiResponsesProtocol } from '../model-server/openai-responses-protocol.js';

/** A model in Codex 0.169.0's bundled model list (the price table knows it as gpt-5). */
export const CODEX_TEST_MODEL = 'gpt-5.5';

/** An `apply_patch` patch that creates `relPath` with `content` (Codex's patch grammar). */
export function addFilePatch(relPath: string, content: string): string {
  const lines = content.endsWith('\n') ? content.slice(0, -1).split('\n') : content.split('\n');
  return ['*** Begin Patch', `*** Add File: ${relPath}`, ...lines.map((l) => `+${l}`), '*** End Patch', ''].join('\n');
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The tool call that makes Codex write the file: `apply_patch` when offered, else `exec_command`. */
export function codexWriteCall(req: NormalizedRequest, relPath: string, content: string): ScriptedToolCall {
  if (req.toolNames.includes('apply_patch')) return { name: 'apply_patch', input: { input: addFilePatch(relPath, content) } };
  const dir = relPath.includes('/') ? `mkdir -p ${shellQuote(relPath.slice(0, relPath.lastIndexOf('/')))} && ` : '';
  return { name: 'exec_command', input: { cmd: `${dir}printf '%s' ${shellQuote(content)} > ${shellQuote(relPath)}` } };
}

/**
 * Main requests (with tools): the write call until the conversation holds a tool result, then a
 * final text. Requests without tools (side requests) get a short text.
 */
export function codexWriteFileScript(relPath: string, content: string, usage?: ScriptedUsage): Responder {
  const u = usage ?? { input: 1000, output: 100 };
  return (req) => {
    if (req.toolNames.length === 0) return { text: 'ok', usage: { input: 10, output: 2 } };
    if (req.toolResults.length === 0) return { toolCalls: [codexWriteCall(req, relPath, content)], usage: u };
    return { text: `Wrote ${relPath}.`, usage: u };
  };
}

export const codexKit: DriverKit = {
  protocols: [openAiResponsesProtocol],
  endpoints: (serverUrl: string, apiKey: string): ModelEndpoints => ({
    anthropic: null,
    openai: { baseUrl: `${serverUrl}/v1`, apiKey, defaultModel: CODEX_TEST_MODEL },
    gemini: null,
    openaiCompatible: null,
  }),
  model: CODEX_TEST_MODEL,
  writeFileScript: codexWriteFileScript,
  makeDriver: (bin: string) => new CodexDriver({ bin, requestMaxRetries: 0, streamMaxRetries: 0 }),
};
