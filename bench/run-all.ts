/**
 * Every benchmark in sequence, each printing its own tables (`npm run bench`).
 *
 *   npx tsx bench/run-all.ts
 *
 * Exits non-zero when a bench's own correctness check fails (e.g. the scheduler bench's
 * planners disagree) or a bench throws.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { runAgentOverheadBench } from './agent-overhead-bench.js';
import { runDispatchBench } from './dispatch-bench.js';
import { runSchedulerBench } from './scheduler-bench.js';
import { runSleeveStartBench } from './sleeve-start-bench.js';
import { runSnapshotRevertBench } from './snapshot-revert-bench.js';

function header(title: string): void {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(0, 72 - title.length))}\n`);
}

const started = performance.now();
const cpu = cpus();
console.log(`node ${process.version}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown cpu'})`);

header('scheduler (pure planner)');
const scheduler = runSchedulerBench();
if (!scheduler.samePlan) {
  console.error('scheduler bench: the naive peer and schedule() produced different plans');
  process.exitCode = 1;
}

header('dispatch (SQLite, submit → leased)');
await runDispatchBench();

header('sleeve start (process, bubblewrap, sandbox-runtime)');
await runSleeveStartBench();

header('workspace snapshot / revert (git)');
if (!(await runSnapshotRevertBench()).correct) {
  console.error('snapshot/revert bench: a revert did not restore the snapshot exactly');
  process.exitCode = 1;
}

header('agent orchestration overhead (Cortical vs the CLI run directly)');
await runAgentOverheadBench({ runs: 10 });

console.log(`\nall benches: ${((performance.now() - started) / 1000).toFixed(1)} s`);
