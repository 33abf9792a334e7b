/** Renders a view inside a fresh query client (no retries, so API errors show at once). */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';

export function testClient(): QueryClient {
  return new QueryClient({ defaultOptions: { queries: { retry: false, refetchInterval: false }, mutations: { retry: false } } });
}

export function renderWithClient(ui: ReactElement): RenderResult & { client: QueryClient } {
  const client = testClient();
  const r = render(<QueryClientProvider client={client}>{ui}</QueryClientProvider>);
  return { ...r, client };
}
