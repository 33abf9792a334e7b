/**
 * `cortical plan` against the REAL HQ API app (real services, SQLite store) — the CLI's fetch is
 * the app's own request handler, so no port is needed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../adapters/bus/memory/memory-bus.js';
import { SqliteStore } from '../../../adapters/store/sqlite/sqlite-store.js';
import { createHqHarness, type HqHarness } from '../../../services/hq/hq-test-harness.js';
import { createApiApp } from '../../api/create-api-app.js';
import { runCli } from '../program.js';
import type { ServerRunners } from '../server-runners.js';
import { fakeIo } from '../testing/fake-io.js';

const noRunners: ServerRunners = {
  up: () => Promise.reject(new Error('unused')),
  hq: () => Promise.reject(new Error('unused')),
  node: () => Promise.reject(new Error('unused')),
  gc: () => Promise.reject(new Error('unused')),
};

let h: HqHarness;
let app: ReturnType<typeof createApiApp>;
beforeEach(async () => {
  h = await createHqHarness({ store: await SqliteStore.create(':memory:'), bus: new MemoryBus() });
  app = createApiApp(h.hq);
});
afterEach(async () => {
  await h.close();
});

async function cli(argv: string[], token = h.adminToken) {
  const fetchApp = ((input: string | URL | Request, init?: RequestInit) => app.fetch(new Request(input, init))) as typeof fetch;
  const io = fakeIo(argv, { env: { CORTICAL_HQ: 'http://hq.test', CORTICAL_TOKEN: token }, fetch: fetchApp });
  const code = await runCli(io, noRunners);
  return { code, out: io.out(), err: io.errText() };
}

describe('cortical plan', () => {
  it('prints the plan, why, and the verdict; creates nothing without --submit', async () => {
    const r = await cli(['plan', 'use codex to fix the flaky test until `npm test` passes, at most 5 iterations, max $2']);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('title:      use codex to fix the flaky test until `npm test` passes, at most 5 iterations,…');
    expect(r.out).toContain("agent:      codex (model: the node's default)");
    expect(r.out).toContain('runs on:    any node with codex');
    expect(r.out).toContain('tier:       T1');
    expect(r.out).toContain('until:      npm test');
    expect(r.out).toContain('guardrails: at most 5 iterations, budget $2, 5000000 tokens, timeout 24h');
    expect(r.out).toContain('why:\n  - Agent codex: the request names it ("codex").');
    expect(r.out).toMatch(/verdict: allowed\npreview only: add --submit to create the task\n$/);
    expect((await h.hq.tasks.list({ limit: 5 })).items).toEqual([]);
  });

  it('--submit creates the task and prints its id; --project wins', async () => {
    const r = await cli(['plan', '--submit', '--project', 'web', 'add', 'a', 'dark', 'mode', 'toggle']);
    expect(r.code, r.err).toBe(0);
    const id = /submitted: task (\S+) \(queued\)/.exec(r.out)?.[1];
    expect(id).toBeDefined();
    const task = await h.store.getTask(id!);
    expect(task?.spec).toMatchObject({ prompt: 'add a dark mode toggle', project: 'web', agent: 'claude' });
  });

  it('refused: exit 3 with the reason, on preview and on submit (403)', async () => {
    const preview = await cli(['plan', 'drop database staging']);
    expect(preview.code).toBe(3);
    expect(preview.out).toMatch(/verdict: REFUSED \[TRIPCODE_REQUIRED\] T3 \(destructive or sensitive\) requests need a tripcode; /);
    const submit = await cli(['plan', '--submit', 'print the api key']);
    expect(submit.code).toBe(3);
    expect(submit.out).toMatch(/planner: +unknown/);
    expect(submit.out).toMatch(/verdict: REFUSED \[SECRET_EXFILTRATION\] The request asks to send or print secrets/);
    expect((await h.hq.tasks.list({ limit: 5 })).items).toEqual([]);
  });

  it('--json prints the answer (and the refusal) as JSON', async () => {
    const ok = await cli(['plan', '--json', 'explain the scheduler']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ planner: 'rules', plan: { tier: 'T0' }, verdict: { allowed: true }, task: null });
    const refused = await cli(['plan', '--json', '--submit', 'force push main']);
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.out)).toMatchObject({ planner: null, plan: { tier: 'T3' }, verdict: { allowed: false, code: 'TRIPCODE_REQUIRED' }, task: null });
  });

  it('a viewer can preview but --submit fails with the permission error (exit 1); no request is a usage error', async () => {
    const viewer = await h.tokenFor('viewer');
    expect((await cli(['plan', 'explain the scheduler'], viewer)).code).toBe(0);
    const denied = await cli(['plan', '--submit', 'fix the bug'], viewer);
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/lacks permission tasks:write .*\[FORBIDDEN\]/);
    const usage = await cli(['plan', '   ']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/give the request in words/);
  });
});
