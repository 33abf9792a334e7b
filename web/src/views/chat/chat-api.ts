/** `POST /api/v1/plans`: preview a plan for a request, or submit it (new-api.md). */
import { apiFetch } from '../../api/client.js';
import type { PlanResponse } from './chat-model.js';

export const previewPlan = (request: string): Promise<PlanResponse> =>
  apiFetch<PlanResponse>('/api/v1/plans', { method: 'POST', json: { request } });

export const submitPlan = (request: string): Promise<PlanResponse> =>
  apiFetch<PlanResponse>('/api/v1/plans', { method: 'POST', json: { request, submit: true } });
