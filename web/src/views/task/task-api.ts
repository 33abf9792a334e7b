/** The task endpoints the task view calls (docs/api.md, and `…/diff` from the new API). */
import { apiFetch } from '../../api/client.js';
import type { AfterPage, DiffDto, EventDto, GuidanceDto, LogLineDto, TaskDto } from './task-types.js';

const base = (id: string): string => `/api/v1/tasks/${encodeURIComponent(id)}`;

export const PAGE_LIMIT = 1000;

export const taskKeys = {
  task: (id: string) => ['task', id] as const,
  guidance: (id: string) => ['task', id, 'guidance'] as const,
  diff: (id: string) => ['task', id, 'diff'] as const,
};

export const getTask = (id: string): Promise<TaskDto> => apiFetch<TaskDto>(base(id));

export const getEventsPage = (id: string, after: number, limit = PAGE_LIMIT): Promise<AfterPage<EventDto>> =>
  apiFetch<AfterPage<EventDto>>(`${base(id)}/events?after=${after}&limit=${limit}`);

export const getLogsPage = (id: string, after: number, limit = PAGE_LIMIT): Promise<AfterPage<LogLineDto>> =>
  apiFetch<AfterPage<LogLineDto>>(`${base(id)}/logs?after=${after}&limit=${limit}`);

export const getGuidance = async (id: string): Promise<GuidanceDto[]> =>
  (await apiFetch<{ items: GuidanceDto[] }>(`${base(id)}/guidance`)).items;

export const getDiff = (id: string): Promise<DiffDto> => apiFetch<DiffDto>(`${base(id)}/diff`);

export const pauseTask = (id: string, now: boolean): Promise<TaskDto> =>
  apiFetch<TaskDto>(`${base(id)}/pause`, { method: 'POST', json: now ? { now: true } : {} });

export const resumeTask = (id: string): Promise<TaskDto> => apiFetch<TaskDto>(`${base(id)}/resume`, { method: 'POST' });

export const stopTask = (id: string): Promise<TaskDto> => apiFetch<TaskDto>(`${base(id)}/stop`, { method: 'POST' });

export const guideTask = (id: string, text: string): Promise<GuidanceDto> =>
  apiFetch<GuidanceDto>(`${base(id)}/guide`, { method: 'POST', json: { text } });

export const resleeveTask = (id: string, agent: string): Promise<TaskDto> =>
  apiFetch<TaskDto>(`${base(id)}/resleeve`, { method: 'POST', json: { agent } });
