/**
 * The model endpoints a node hands its agent drivers: the usual provider settings, read from the
 * node's environment (or config file). Keys are secrets: they go into a CLI's per-run config or
 * environment and never into logs, events or the API (`describeEndpoints` is the safe view).
 */

export interface ModelEndpoint {
  /** Base URL without a trailing slash, as the provider's SDK expects it. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** The model used when a task names none. */
  readonly defaultModel: string | null;
}

export interface ModelEndpoints {
  /** `ANTHROPIC_BASE_URL` / `ANTHROPIC_API_KEY` (Claude Code, the built-in agent). */
  readonly anthropic: ModelEndpoint | null;
  /** `OPENAI_BASE_URL` / `OPENAI_API_KEY` (Codex, OpenCode, Aider). */
  readonly openai: ModelEndpoint | null;
  /** `GOOGLE_GEMINI_BASE_URL` / `GEMINI_API_KEY` (Gemini CLI). */
  readonly gemini: ModelEndpoint | null;
  /** `CORTICAL_LLM_BASE_URL` / `CORTICAL_LLM_API_KEY` / `CORTICAL_LLM_MODEL`: an OpenAI-compatible server (Ollama, vLLM, llama.cpp) for the built-in agent. */
  readonly openaiCompatible: ModelEndpoint | null;
}

export const NO_ENDPOINTS: ModelEndpoints = { anthropic: null, openai: null, gemini: null, openaiCompatible: null };

export const DEFAULT_BASE_URLS = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
  gemini: 'https://generativelanguage.googleapis.com',
} as const;

function clean(v: string | undefined): string | null {
  const t = v?.trim();
  return t === undefined || t === '' ? null : t;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function endpoint(baseUrl: string | null, fallbackUrl: string | null, apiKey: string | null, model: string | null): ModelEndpoint | null {
  const url = baseUrl ?? fallbackUrl;
  if (url === null || (apiKey === null && baseUrl === null)) return null;
  return { baseUrl: trimSlash(url), apiKey: apiKey ?? 'none', defaultModel: model };
}

/**
 * The endpoints configured in `env`. A provider counts as configured when its key or its base
 * URL is set (a local server often needs no key: the key is then `none`).
 */
export function endpointsFromEnv(env: Readonly<Record<string, string | undefined>>): ModelEndpoints {
  return {
    anthropic: endpoint(clean(env.ANTHROPIC_BASE_URL), DEFAULT_BASE_URLS.anthropic, clean(env.ANTHROPIC_API_KEY), clean(env.ANTHROPIC_MODEL)),
    openai: endpoint(clean(env.OPENAI_BASE_URL), DEFAULT_BASE_URLS.openai, clean(env.OPENAI_API_KEY), clean(env.OPENAI_MODEL)),
    gemini: endpoint(clean(env.GOOGLE_GEMINI_BASE_URL), DEFAULT_BASE_URLS.gemini, clean(env.GEMINI_API_KEY), clean(env.GEMINI_MODEL)),
    openaiCompatible: endpoint(clean(env.CORTICAL_LLM_BASE_URL), null, clean(env.CORTICAL_LLM_API_KEY), clean(env.CORTICAL_LLM_MODEL)),
  };
}

/** Names of the environment variables that carry endpoint keys: scrubbed from every sleeve's base environment. */
export const ENDPOINT_KEY_VARIABLES = ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'CORTICAL_LLM_API_KEY', 'ANTHROPIC_AUTH_TOKEN'] as const;

/** `host:port` of an endpoint's URL (default ports filled in), for a sleeve's network allowlist. */
export function endpointHostPort(baseUrl: string): string | null {
  const m = /^(https?):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?/i.exec(baseUrl);
  if (m === null) return null;
  const scheme = m[1]!.toLowerCase();
  const host = m[2]!.toLowerCase();
  const port = m[3] ?? (scheme === 'https' ? '443' : '80');
  return `${host}:${port}`;
}

/** Every configured endpoint's `host:port`, without duplicates. */
export function endpointHosts(endpoints: ModelEndpoints): string[] {
  const all = [endpoints.anthropic, endpoints.openai, endpoints.gemini, endpoints.openaiCompatible];
  const hosts = all.flatMap((e) => (e === null ? [] : [endpointHostPort(e.baseUrl)])).filter((h): h is string => h !== null);
  return [...new Set(hosts)];
}

/** The safe view of the endpoints (no keys), for logs, status and the API. */
export function describeEndpoints(endpoints: ModelEndpoints): Record<string, { baseUrl: string; defaultModel: string | null; key: 'set' | 'none' } | null> {
  const view = (e: ModelEndpoint | null) => (e === null ? null : { baseUrl: e.baseUrl, defaultModel: e.defaultModel, key: e.apiKey === 'none' ? ('none' as const) : ('set' as const) });
  return { anthropic: view(endpoints.anthropic), openai: view(endpoints.openai), gemini: view(endpoints.gemini), openaiCompatible: view(endpoints.openaiCompatible) };
}

/** Replaces every endpoint key in `text` (logs, tool output) with `[redacted]`. */
export function redactKeys(text: string, endpoints: ModelEndpoints): string {
  let out = text;
  for (const e of [endpoints.anthropic, endpoints.openai, endpoints.gemini, endpoints.openaiCompatible]) {
    if (e !== null && e.apiKey.length >= 8) out = out.split(e.apiKey).join('[redacted]');
  }
  return out;
}
