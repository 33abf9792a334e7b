/**
 * The origin document's success gates over many clean runs: promotion success ≥ 99.5 % and
 * deterministic artifacts (VERIFY's artifact digest and the promoted tree are the same on every
 * run of a seed). Each run gets a fresh Blue with the same content. CORTICAL_HARNESS_RUNS sets
 * the number of runs (default 200), spread over the three seed tasks.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { ProcessRuntime } from '../../src/adapters/runtime/process/process-runtime.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import { DEFAULT_SAFETY_POLICY, type SafetyPolicy } from '../../src/core/safety-policy.js';
import { DEFAULT_SANDBOX, type SandboxSpec } from '../../src/core/sandbox.js';
import { SEED_NAMES, SEED_TARGET_KIND, seedRequest } from '../../src/services/pipeline/seed-plans.js';
import { makeGitBlue, makeReleaseBlue, pipelineFixture, type PipelineFixture } from './pipeline-fixture.js';

const RUNS = Number(process.env.CORTICAL_HARNESS_RUNS ?? 200);
const sandboxed = await BubblewrapRuntime.available();
const runtime: Runtime = sandboxed ? new BubblewrapRuntime({}) : new ProcessRuntime();
const sandbox: SandboxSpec = { network: { mode: 'none', allow: [] }, limits: { ...DEFAULT_SANDBOX.limits, maxFileSizeMb: 16 } };
/** The default policy with a 1 s health window; per-tool rate limits are off (the clock of this test stands still, and the gate measures promotion, not the limits). */
const policy: SafetyPolicy = {
  ...DEFAULT_SAFETY_POLICY,
  tools: DEFAULT_SAFETY_POLICY.tools.map((t) => ({ ...t, rateLimitPerMin: 0, cooldownSec: 0 })),
  conditions: { ...DEFAULT_SAFETY_POLICY.conditions, healthGreenSec: 1 },
};

let fx: PipelineFixture;
beforeAll(async () => {
  fx = await pipelineFixture({ runtime, sandbox, stepTimeoutMs: 60_000, policy });
});
afterAll(async () => {
  await fx?.close();
});

describe(`promotion gates over ${RUNS} clean runs (${runtime.name})`, () => {
  it(`promotes ≥ 99.5 % of clean runs, with identical artifacts per seed`, async () => {
    const outcomes: { seed: string; promoted: boolean; artifacts: string | null; tree: string | null; error: string | null }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const seed = SEED_NAMES[i % SEED_NAMES.length]!;
      const dir = join(fx.root, `blue-${i}`);
      const spec = SEED_TARGET_KIND[seed] === 'git-branch' ? makeGitBlue(dir) : makeReleaseBlue(dir);
      const run = await fx.runner.run(seedRequest(seed, spec, { healthGreenSec: 1 }));
      const verify = run.evidence['verify'] as { artifacts?: { digest: string } } | undefined;
      const version = run.evidence['promotedVersion'] as string | undefined;
      // the promoted content: a git tree id, or the content-addressed release id
      const tree = version === undefined ? null : spec.kind === 'git-branch' ? execFileSync('git', ['rev-parse', `${version}^{tree}`], { cwd: spec.repo, encoding: 'utf8' }).trim() : version;
      outcomes.push({ seed, promoted: run.state === 'PROMOTED', artifacts: verify?.artifacts?.digest ?? null, tree, error: run.error });
    }
    const promoted = outcomes.filter((o) => o.promoted).length;
    const failures = outcomes.filter((o) => !o.promoted).map((o) => `${o.seed}: ${o.error}`);
    console.log(`promotion success: ${promoted}/${RUNS} (${((100 * promoted) / RUNS).toFixed(1)} %)${failures.length > 0 ? `; failures: ${failures.join(' | ')}` : ''}`);
    expect(promoted / RUNS, failures.join('\n')).toBeGreaterThanOrEqual(0.995);
    for (const seed of SEED_NAMES) {
      const mine = outcomes.filter((o) => o.seed === seed && o.promoted);
      expect(mine.length).toBeGreaterThan(0);
      expect(new Set(mine.map((o) => o.artifacts)).size, `${seed}: artifact digests differ across runs`).toBe(1);
      expect(new Set(mine.map((o) => o.tree)).size, `${seed}: promoted trees differ across runs`).toBe(1);
      expect(mine[0]!.artifacts).toMatch(/^[0-9a-f]{64}$/);
    }
  }, 1_500_000);
});
