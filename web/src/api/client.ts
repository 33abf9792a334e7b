/**
 * The dashboard's HTTP client: every API call goes through `apiFetch`, which sends the API token
 * kept in session storage and turns `{error: {code, message}}` answers into a thrown `ApiError`.
 */

export const TOKEN_KEY = 'cortical.token';

/** An error answer of the API (or a network failure, status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

type Listener = () => void;
const tokenListeners = new Set<Listener>();

function storage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  const t = storage()?.getItem(TOKEN_KEY) ?? null;
  return t === null || t === '' ? null : t;
}

export function setToken(token: string): void {
  storage()?.setItem(TOKEN_KEY, token.trim());
  for (const l of [...tokenListeners]) l();
}

export function clearToken(): void {
  storage()?.removeItem(TOKEN_KEY);
  for (const l of [...tokenListeners]) l();
}

/** Called whenever the token is set or cleared (a 401 clears it: the app shows the login screen). */
export function onTokenChange(listener: Listener): () => void {
  tokenListeners.add(listener);
  return () => {
    tokenListeners.delete(listener);
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads `{error: {code, message, details?}}`; anything else becomes a generic error of the status. */
export function errorFromBody(status: number, body: unknown, statusText = ''): ApiError {
  if (isRecord(body) && isRecord(body.error)) {
    const e = body.error;
    const code = typeof e.code === 'string' ? e.code : `HTTP_${status}`;
    const message = typeof e.message === 'string' ? e.message : `request failed with status ${status}`;
    return new ApiError(status, code, message, isRecord(e.details) ? e.details : undefined);
  }
  const text = statusText === '' ? '' : ` ${statusText}`;
  return new ApiError(status, `HTTP_${status}`, `request failed with status ${status}${text}`);
}

export interface ApiInit extends RequestInit {
  /** Sent as the JSON request body (sets Content-Type). */
  json?: unknown;
  /** A token to use instead of the stored one (the login check). */
  token?: string;
}

/** The headers of an authenticated request (also used by the event stream). */
export function authHeaders(token: string | null = getToken()): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/**
 * Calls the API at `path` (e.g. `/api/v1/status`) on the page's own origin. Throws `ApiError` for
 * any non-2xx answer; a 401 clears the stored token (the app returns to the login screen).
 */
export async function apiFetch<T>(path: string, init: ApiInit = {}): Promise<T> {
  const { json, token, headers, ...rest } = init;
  const h = new Headers(headers);
  h.set('accept', 'application/json');
  const useToken = token ?? getToken();
  if (useToken !== null) h.set('authorization', `Bearer ${useToken}`);
  let body = rest.body;
  if (json !== undefined) {
    h.set('content-type', 'application/json');
    body = JSON.stringify(json);
  }
  let res: Response;
  try {
    res = await fetch(path, { ...rest, headers: h, body });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `cannot reach HQ: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) {
    // Only the stored token is dropped; a token being tried at login is simply rejected.
    if (res.status === 401 && token === undefined) clearToken();
    throw errorFromBody(res.status, parsed, res.statusText);
  }
  return parsed as T;
}
