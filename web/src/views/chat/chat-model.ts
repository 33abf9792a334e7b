/** The chat with HQ's planner: plan shapes (`POST /api/v1/plans`) and the conversation. Pure. */

export interface PlanGuardrails {
  maxIterations: number | null;
  budgetUsd: number | null;
  budgetTokens: number | null;
  timeoutMs: number | null;
}

export interface PlanDto {
  title: string;
  prompt: string;
  agent: string;
  model: string | null;
  requires: string[];
  nodeClass: string;
  guardrails: PlanGuardrails;
  until: string | null;
  checks: string[];
  tier: 'T0' | 'T1' | 'T2' | 'T3';
  project: string;
  /** The repository path the task works on (null or absent: none). */
  repo?: string | null;
  explanation: string[];
}

export interface PlanVerdict {
  allowed: boolean;
  code: string | null;
  reason: string | null;
}

/** The created task, as far as the chat shows it. */
export interface PlanTaskDto {
  id: string;
  state: string;
}

export interface PlanResponse {
  planner: 'rules' | 'llm';
  plan: PlanDto;
  verdict: PlanVerdict;
  task: PlanTaskDto | null;
}

export type ChatMessage =
  | { id: number; role: 'user'; text: string; at: number }
  | { id: number; role: 'plan'; request: string; response: PlanResponse; at: number; taskId: string | null; refusal: string | null }
  | { id: number; role: 'error'; text: string; at: number };

export const CHAT_STORAGE_KEY = 'cortical.chat';
export const MAX_STORED_MESSAGES = 100;
export const MAX_REQUEST_CHARS = 4000;

export function nextId(messages: readonly ChatMessage[]): number {
  return messages.reduce((m, x) => Math.max(m, x.id), 0) + 1;
}

function isMessage(v: unknown): v is ChatMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  if (typeof m.id !== 'number' || typeof m.at !== 'number') return false;
  if (m.role === 'user' || m.role === 'error') return typeof m.text === 'string';
  if (m.role === 'plan') {
    const r = m.response as Record<string, unknown> | null;
    return typeof m.request === 'string' && typeof r === 'object' && r !== null && typeof r.plan === 'object' && typeof r.verdict === 'object';
  }
  return false;
}

/** The conversation saved in session storage (a reload keeps it); [] when absent or unreadable. */
export function loadConversation(storage: Pick<Storage, 'getItem'> | null): ChatMessage[] {
  if (storage === null) return [];
  try {
    const raw = storage.getItem(CHAT_STORAGE_KEY);
    if (raw === null) return [];
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter(isMessage) : [];
  } catch {
    return [];
  }
}

export function saveConversation(storage: Pick<Storage, 'setItem'> | null, messages: readonly ChatMessage[]): void {
  if (storage === null) return;
  try {
    storage.setItem(CHAT_STORAGE_KEY, JSON.stringify(messages.slice(-MAX_STORED_MESSAGES)));
  } catch {
    // storage full or disabled: the conversation just is not kept
  }
}

export function sessionStore(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

/** `12 iterations`, `$5.00`, `20k tokens`, `30 min` … for the plan card. */
export function guardrailLines(g: PlanGuardrails): string[] {
  const out: string[] = [];
  out.push(g.maxIterations === null ? 'iterations: no limit' : `at most ${g.maxIterations} ${g.maxIterations === 1 ? 'iteration' : 'iterations'}`);
  out.push(g.budgetUsd === null ? 'dollars: no limit' : `at most $${g.budgetUsd.toFixed(2)}`);
  out.push(g.budgetTokens === null ? 'tokens: no limit' : `at most ${g.budgetTokens.toLocaleString('en-US')} tokens`);
  out.push(g.timeoutMs === null ? 'time: no limit' : `at most ${durationText(g.timeoutMs)}`);
  return out;
}

function durationText(ms: number): string {
  const min = ms / 60_000;
  if (min < 1) return `${Math.round(ms / 1000)} s`;
  if (min < 120) return `${Math.round(min)} min`;
  return `${(min / 60).toFixed(min % 60 === 0 ? 0 : 1)} h`;
}
