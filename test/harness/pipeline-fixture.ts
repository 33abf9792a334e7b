/** Helpers shared by the pipeline runner tests and the safety harness (used by *.test.ts only). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { GitWorkspaceSnapshots } from '../../src/adapters/workspace/git/workspace-snapshots.js';
import { FakeClock } from '../../src/core/clock.js';
import { SequentialIds } from '../../src/core/ids.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import type { PipelineMetricsSink } from '../../src/core/ports/pipeline-metrics.js';
import type { Runtime } from '../../src/core/ports/runtime.js';
import { DEFAULT_SAFETY_POLICY } from '../../src/core/safety-policy.js';
import type { SandboxSpec } from '../../src/core/sandbox.js';
import { createHeuristicReviewers } from '../../src/core/debate/heuristic-reviewers.js';
import { RubricJudge } from '../../src/core/debate/judge-rubric.js';
import type { BlueTargetSpec } from '../../src/services/pipeline/blue-target.js';
import { PipelineRunner, type PipelineHooks } from '../../src/services/pipeline/pipeline-runner.js';
import { MemoryBus } from '../../src/adapters/bus/memory/memory-bus.js';
import { resolveHqConfig } from '../../src/services/hq/hq-config.js';
import { TripcodeService } from '../../src/services/hq/tripcode-service.js';
import type { SafetyPolicy } from '../../src/core/safety-policy.js';

const ID_ENV = { GIT_AUTHOR_NAME: 'd', GIT_AUTHOR_EMAIL: 'd@example.com', GIT_COMMITTER_NAME: 'd', GIT_COMMITTER_EMAIL: 'd@example.com' };

export function gitIn(cwd: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, ...ID_ENV };
  delete env['GIT_DIR'];
  delete env['GIT_WORK_TREE'];
  delete env['GIT_INDEX_FILE'];
  return execFileSync('git', args, { cwd, encoding: 'utf8', env }).trim();
}

/** A git repository with branch `main` holding a README (Blue for git-branch seeds). */
export function makeGitBlue(dir: string): BlueTargetSpec {
  mkdirSync(dir, { recursive: true });
  gitIn(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'README.md'), 'blue\n');
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'v1');
  return { kind: 'git-branch', repo: dir, branch: 'main' };
}

/** A release directory with release r1 live (Blue for release-dir seeds). */
export function makeReleaseBlue(root: string): BlueTargetSpec {
  mkdirSync(join(root, 'releases', 'r1'), { recursive: true });
  writeFileSync(join(root, 'releases', 'r1', 'README.md'), 'blue\n');
  symlinkSync('releases/r1', join(root, 'current'));
  return { kind: 'release-dir', root };
}

export class CountingMetrics implements PipelineMetricsSink {
  readonly calls: { name: string; args: unknown[] }[] = [];
  private add(name: string, ...args: unknown[]): void {
    this.calls.push({ name, args });
  }
  planChecked(typeable: boolean): void {
    this.add('planChecked', typeable);
  }
  debateFinished(agreed: boolean, decision: string): void {
    this.add('debateFinished', agreed, decision);
  }
  simulateFinished(seconds: number, ok: boolean): void {
    this.add('simulateFinished', seconds, ok);
  }
  verifyFinished(passed: boolean): void {
    this.add('verifyFinished', passed);
  }
  promoteFinished(ok: boolean): void {
    this.add('promoteFinished', ok);
  }
  healthProbe(ok: boolean): void {
    this.add('healthProbe', ok);
  }
  toolError(tier: string): void {
    this.add('toolError', tier);
  }
  count(name: string): number {
    return this.calls.filter((c) => c.name === name).length;
  }
}

export interface PipelineFixture {
  readonly root: string;
  readonly store: SqliteStore;
  readonly metrics: CountingMetrics;
  readonly runner: PipelineRunner;
  /** Tripcodes over the same store (a LOCKDOWN applied here stops promotions). */
  readonly tripcodes: TripcodeService;
  lockdown: boolean;
  /** For hooks: turn the lockdown on when SIMULATE starts (the tripcode-during-apply fault). */
  lockdownOnSimulate: boolean;
  events(): Promise<{ type: string; data: Record<string, unknown> }[]>;
  close(): Promise<void>;
}

export async function pipelineFixture(opts: {
  runtime: Runtime;
  stepTimeoutMs?: number;
  sandbox?: SandboxSpec;
  hooks?: (f: PipelineFixture) => PipelineHooks;
  /** Where pipeline metrics go besides the counting sink (e.g. a Prometheus registry). */
  metrics?: PipelineMetricsSink;
  policy?: SafetyPolicy;
}): Promise<PipelineFixture> {
  const root = mkdtempSync(join(tmpdir(), 'cortical-pipeline-'));
  const store = await SqliteStore.create(join(root, 'store.db'));
  const metrics = new CountingMetrics();
  const clock = new FakeClock();
  const ids = new SequentialIds();
  const tripcodes = new TripcodeService({ store, bus: new MemoryBus(), clock, ids, logger: silentLogger, config: resolveHqConfig() });
  const workRoot = join(root, 'work');
  mkdirSync(join(workRoot, 'workspaces'), { recursive: true });
  const fixture: PipelineFixture = {
    root,
    store,
    metrics,
    tripcodes,
    lockdown: false,
    lockdownOnSimulate: false,
    runner: undefined as unknown as PipelineRunner,
    async events() {
      const items = await store.readEvents({ afterSeq: 0, limit: 1000 });
      return items.map((e) => ({ type: e.type, data: e.data }));
    },
    async close() {
      await store.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  (fixture as { runner: PipelineRunner }).runner = new PipelineRunner({
    store,
    clock,
    ids,
    logger: silentLogger,
    runtime: opts.runtime,
    snapshots: new GitWorkspaceSnapshots(workRoot),
    metrics: opts.metrics === undefined ? metrics : teeMetrics(metrics, opts.metrics),
    policy: () => opts.policy ?? DEFAULT_SAFETY_POLICY,
    reviewers: createHeuristicReviewers(),
    judge: new RubricJudge(),
    workRoot,
    isLockdown: async () => fixture.lockdown || (await store.getLockdown()).on,
    stepTimeoutMs: opts.stepTimeoutMs ?? 120_000,
    sandbox: opts.sandbox,
    hooks: opts.hooks?.(fixture),
  });
  return fixture;
}

/** Both sinks get every call. */
function teeMetrics(a: PipelineMetricsSink, b: PipelineMetricsSink): PipelineMetricsSink {
  return {
    planChecked: (t) => (a.planChecked(t), b.planChecked(t)),
    debateFinished: (x, d) => (a.debateFinished(x, d), b.debateFinished(x, d)),
    simulateFinished: (s, ok) => (a.simulateFinished(s, ok), b.simulateFinished(s, ok)),
    verifyFinished: (p) => (a.verifyFinished(p), b.verifyFinished(p)),
    promoteFinished: (ok) => (a.promoteFinished(ok), b.promoteFinished(ok)),
    healthProbe: (ok) => (a.healthProbe(ok), b.healthProbe(ok)),
    toolError: (t) => (a.toolError(t), b.toolError(t)),
  };
}
