/** The bench fleet's capability profiles and the synthetic task specs submitted to it. */
import { TaskCreateRequest, type TaskCreateParsed } from '../../src/contract/task-schemas.js';
import { pick } from '../bench-random.js';

/** Every profile is a quarter of the fleet; every task requirement below fits at least one. */
export const NODE_PROFILES: readonly (readonly string[])[] = [
  ['linux', 'build', 'claude'],
  ['linux', 'build', 'codex'],
  ['linux', 'gpu', 'claude'],
  ['macos', 'build', 'claude', 'codex'],
];
const TASK_REQUIRES: readonly (readonly string[])[] = [
  [],
  [],
  ['build'],
  ['claude'],
  ['codex'],
  ['build', 'claude'],
  ['gpu'],
  ['macos'],
];
const AGENTS = ['shell', 'claude', 'codex'] as const;

/** Validated create requests, as the API hands them to the service. */
export function workload(count: number, rand: () => number): TaskCreateParsed[] {
  const out: TaskCreateParsed[] = [];
  for (let i = 0; i < count; i++) {
    const r = rand();
    out.push(
      TaskCreateRequest.parse({
        prompt: `Task ${i}: fix the flaky test in packages/core, run the suite, and open a pull request with a short summary of the change.`,
        agent: pick(rand, AGENTS),
        mode: rand() < 0.3 ? 'loop' : 'once',
        requires: [...pick(rand, TASK_REQUIRES)],
        repo: { path: '/srv/repos/app', baseRef: 'main' },
        priority: r < 0.7 ? 0 : r < 0.9 ? 1 : 5,
        labels: rand() < 0.5 ? { team: pick(rand, ['infra', 'web', 'ml']) } : {},
      }),
    );
  }
  return out;
}
