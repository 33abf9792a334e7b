/** The tasks list's filters → the `GET /api/v1/tasks` query string. */

export const TASK_PAGE_SIZE = 50;

export interface TaskFilters {
  /** One state, or '' for all. */
  state: string;
  agent: string;
  node: string;
  project: string;
  /** Text searched in id, title and prompt. */
  q: string;
}

export const NO_FILTERS: TaskFilters = { state: '', agent: '', node: '', project: '', q: '' };

/** Only filled filters are sent (trimmed); `limit` is always the page size. */
export function taskListPath(filters: TaskFilters, cursor?: string, limit: number = TASK_PAGE_SIZE): string {
  const q = new URLSearchParams();
  for (const key of ['state', 'agent', 'node', 'project', 'q'] as const) {
    const v = filters[key].trim();
    if (v !== '') q.set(key, v);
  }
  if (cursor !== undefined && cursor !== '') q.set('cursor', cursor);
  q.set('limit', String(limit));
  return `/api/v1/tasks?${q.toString()}`;
}
