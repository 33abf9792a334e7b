/**
 * The "New task" form's fields → a `TaskCreateRequest` body (field names from
 * src/contract/task-schemas.ts). Numbers are checked here so the user sees what is wrong before
 * the API does; the API's own validation messages are shown too.
 */

export interface TaskFormValues {
  prompt: string;
  agent: string;
  repoPath: string;
  /** Comma-separated capabilities. */
  requires: string;
  maxIterations: string;
  budgetUsd: string;
  budgetTokens: string;
  timeoutMinutes: string;
  until: string;
  project: string;
}

export const EMPTY_FORM: TaskFormValues = {
  prompt: '',
  agent: 'shell',
  repoPath: '',
  requires: '',
  maxIterations: '',
  budgetUsd: '',
  budgetTokens: '',
  timeoutMinutes: '',
  until: '',
  project: '',
};

export interface TaskCreateBody {
  prompt: string;
  agent: string;
  mode: 'once' | 'loop';
  requires: string[];
  repo: { path: string; baseRef: null } | null;
  until: string | null;
  maxIterations?: number;
  budgetUsd: number | null;
  budgetTokens: number | null;
  timeoutMs: number | null;
  project?: string;
}

export type FieldErrors = Partial<Record<keyof TaskFormValues, string>>;

function positiveInt(v: string, what: string): { value: number | null; error?: string } {
  const s = v.trim();
  if (s === '') return { value: null };
  if (!/^\d+$/.test(s) || Number(s) <= 0) return { value: null, error: `${what} must be a whole number above 0` };
  return { value: Number(s) };
}

/** The request body, or the errors that keep the form from being sent. */
export function buildTaskCreate(v: TaskFormValues): { body: TaskCreateBody; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const prompt = v.prompt.trim();
  if (prompt === '') errors.prompt = 'Write what the agent should do';
  const maxIt = positiveInt(v.maxIterations, 'Max iterations');
  if (maxIt.error !== undefined) errors.maxIterations = maxIt.error;
  const tokens = positiveInt(v.budgetTokens, 'Budget (tokens)');
  if (tokens.error !== undefined) errors.budgetTokens = tokens.error;
  let budgetUsd: number | null = null;
  if (v.budgetUsd.trim() !== '') {
    const n = Number(v.budgetUsd.trim());
    if (!Number.isFinite(n) || n <= 0) errors.budgetUsd = 'Budget (USD) must be a number above 0, e.g. 2.50';
    else budgetUsd = n;
  }
  let timeoutMs: number | null = null;
  if (v.timeoutMinutes.trim() !== '') {
    const n = Number(v.timeoutMinutes.trim());
    if (!Number.isFinite(n) || n <= 0) errors.timeoutMinutes = 'Timeout must be a number of minutes above 0';
    else timeoutMs = Math.round(n * 60_000);
  }
  const requires = v.requires
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const until = v.until.trim();
  // An until-check or more than one iteration makes it a loop.
  const loop = until !== '' || (maxIt.value !== null && maxIt.value > 1);
  const body: TaskCreateBody = {
    prompt,
    agent: v.agent,
    mode: loop ? 'loop' : 'once',
    requires,
    repo: v.repoPath.trim() === '' ? null : { path: v.repoPath.trim(), baseRef: null },
    until: until === '' ? null : until,
    budgetUsd,
    budgetTokens: tokens.value,
    timeoutMs,
  };
  if (maxIt.value !== null) body.maxIterations = maxIt.value;
  if (v.project.trim() !== '') body.project = v.project.trim();
  return { body, errors };
}

/** Maps an API validation error (`details.field` or `details.issues[].path`) onto form fields. */
export function apiFieldOf(path: string): keyof TaskFormValues | null {
  const head = path.replace(/^body\./, '').split(/[.[]/)[0] ?? '';
  const map: Record<string, keyof TaskFormValues> = {
    prompt: 'prompt',
    agent: 'agent',
    repo: 'repoPath',
    requires: 'requires',
    maxIterations: 'maxIterations',
    budgetUsd: 'budgetUsd',
    budgetTokens: 'budgetTokens',
    timeoutMs: 'timeoutMinutes',
    until: 'until',
    project: 'project',
  };
  return map[head] ?? null;
}
