/** Queries several views share. */
import { useQuery } from '@tanstack/react-query';
import { apiFetch } from './client.js';
import type { StatusDto } from './types.js';

export const STATUS_KEY = ['status'] as const;

/** `GET /api/v1/status`, refetched every 3 s (totals, kill switch). */
export function useStatus(): ReturnType<typeof useQuery<StatusDto>> {
  return useQuery<StatusDto>({
    queryKey: STATUS_KEY,
    queryFn: ({ signal }) => apiFetch<StatusDto>('/api/v1/status', { signal }),
    refetchInterval: 3_000,
  });
}
