/** Test data for migration tests: a tasks row as the early schema stored it (spec as raw JSON text). */
export function legacyTaskRow(id: string, spec: string): Record<string, unknown> {
  return {
    id,
    spec,
    state: 'queued',
    desired: 'run',
    attempts: 0,
    fencing_token: 0,
    not_before: 0,
    usage_iterations: 0,
    usage_tokens_in: 0,
    usage_tokens_out: 0,
    usage_usd: 0,
    runtime_ms: 0,
    priority: 0,
    agent: 'shell',
    requires: '[]',
    created_at: 1,
    updated_at: 1,
    row_version: 1,
  };
}
