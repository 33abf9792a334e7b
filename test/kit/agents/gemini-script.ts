/**
 * What a generic test needs to drive the Gemini CLI against the scripted model server: the
 * Gemini protocol, endpoints, a model and a "write a file" script.
 *
 * Gemini CLI 0.61 in `-p` mode sends only main requests (with its tools) for a short task. Its
 * side requests ask for JSON (`responseMimeType: application/json` with a JSON schema): the
 * next-speaker check, the loop detector after many turns, the model router. They get a JSON
 * value that fits the schema (first enum value: `next_speaker: "user"`, confidence 0 …). The
 * model writes with `write_file`, whose `file_path` may be relative to the workspace.
 */
import type { DriverKit } from '../../../src/adapters/agents/agent-driver.contract.js';
import { GeminiDriver } from '../../../src/adapters/agents/gemini/gemini-driver.js';
import { NO_ENDPOINTS, type ModelEndpoints } from '../../../src/core/model-endpoints.js';
import { geminiProtocol, geminiResponseSchema } from '../model-server/gemini-protocol.js';
import type { Responder, ScriptedUsage } from '../model-server/model-server-types.js';

export const GEMINI_TEST_MODEL = 'gemini-2.5-flash';

/** A small value that fits a JSON schema: first enum value, empty strings, zeros, every property. */
export function jsonForSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return null;
  const s = schema as { type?: unknown; enum?: unknown; properties?: unknown; anyOf?: unknown };
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0] as unknown;
  if (Array.isArray(s.anyOf) && s.anyOf.length > 0) return jsonForSchema(s.anyOf[0]);
  const type = Array.isArray(s.type) ? (s.type[0] as unknown) : s.type;
  switch (typeof type === 'string' ? type.toLowerCase() : 'object') {
    case 'string':
      return '';
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'null':
      return null;
    default: {
      const props = typeof s.properties === 'object' && s.properties !== null ? (s.properties as Record<string, unknown>) : {};
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, jsonForSchema(v)]));
    }
  }
}

/** Answers the CLI's JSON side requests; null for a main request. */
function sideReply(req: Parameters<Responder>[0]): ReturnType<Responder> | null {
  const schema = geminiResponseSchema(req);
  if (schema !== null) return { text: JSON.stringify(jsonForSchema(schema)), usage: { input: 20, output: 8 } };
  if (req.toolNames.length === 0) return { text: 'ok', usage: { input: 10, output: 2 } };
  return null;
}

/** The model writes `relPath` with `write_file`, then ends with a text once it has a tool result. */
export function geminiWriteFileScript(relPath: string, content: string, usage?: ScriptedUsage): Responder {
  return (req) => {
    const side = sideReply(req);
    if (side !== null) return side;
    if (req.toolResults.length === 0) {
      return { toolCalls: [{ name: 'write_file', input: { file_path: relPath, content } }], usage: usage ?? { input: 1200, output: 60 } };
    }
    return { text: `Wrote ${relPath}.`, usage: usage ?? { input: 1400, output: 12 } };
  };
}

export const geminiKit: DriverKit = {
  protocols: [geminiProtocol],
  endpoints(serverUrl: string, apiKey: string): ModelEndpoints {
    return { ...NO_ENDPOINTS, gemini: { baseUrl: serverUrl, apiKey, defaultModel: GEMINI_TEST_MODEL } };
  },
  model: GEMINI_TEST_MODEL,
  writeFileScript: geminiWriteFileScript,
  makeDriver: (bin: string) => new GeminiDriver({ bin: bin === '' ? 'gemini' : bin }),
};
