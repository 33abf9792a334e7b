/**
 * The origin document's three seed tasks as pipeline requests (a hello service, CSV → SQLite →
 * report, a nightly cron entry), and its faults applied to any seed: tool crash, denied egress,
 * disk full, failing tests, stuck process, tripcode during apply. The safety harness runs every
 * seed × fault and expects Blue unchanged after each fault.
 */
import type { Plan, PlanStep } from '../../core/plan-steps.js';
import type { BlueTargetSpec } from './blue-target.js';
import type { PipelineRequest, PipelineVerifySpec } from './pipeline-request.js';

export const SEED_NAMES = ['hello-service', 'csv-report', 'nightly-cron'] as const;
export type SeedName = (typeof SEED_NAMES)[number];

const HELLO_SERVER = `const http = require('node:http');
const port = Number(process.env.PORT || 8080);
http
  .createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\\n');
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('hello\\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\\n');
    }
  })
  .listen(port, '127.0.0.1', () => console.log('listening on ' + port));
`;

const HELLO_CHECK = `const { spawn } = require('node:child_process');
const port = 20000 + Math.floor(Math.random() * 20000);
const child = spawn(process.execPath, ['server.js'], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
const deadline = Date.now() + 15000;
const done = (code, msg) => { child.kill(); if (msg) console.error(msg); process.exit(code); };
const poll = async () => {
  try {
    const r = await fetch('http://127.0.0.1:' + port + '/');
    const text = await r.text();
    if (r.status === 200 && text.trim() === 'hello') done(0);
    else done(1, 'unexpected answer ' + r.status + ' ' + JSON.stringify(text));
  } catch {
    if (Date.now() > deadline) done(1, 'the server did not answer');
    else setTimeout(poll, 100);
  }
};
poll();
`;

/** (a) A hello service: server.js answers / with "hello" and /healthz with 200; release-dir target. */
export function helloServiceRequest(target: BlueTargetSpec, opts: { healthGreenSec?: number } = {}): PipelineRequest {
  return {
    intent: 'hello service on $PORT with /healthz',
    plan: {
      intent: 'hello service on $PORT with /healthz',
      steps: [
        { tool: 'write_file', args: { path: 'server.js', content: HELLO_SERVER } },
        { tool: 'write_file', args: { path: 'check-hello.js', content: HELLO_CHECK } },
        { tool: 'service_run_t1', args: { command: 'node server.js', port_env: 'PORT', health_path: '/healthz' } },
      ],
    },
    target,
    verify: {
      checks: [
        { name: 'syntax', command: 'node --check server.js' },
        { name: 'hello', command: 'node check-hello.js', timeoutMs: 60_000 },
      ],
      service: { command: 'node server.js', healthPath: '/healthz', portEnv: 'PORT', healthGreenSec: opts.healthGreenSec ?? 2, startTimeoutMs: 20_000 },
      policyWords: [],
    },
  };
}

const CSV_DATA = `region,product,units,price_cents
north,apple,10,50
south,apple,4,50
north,pear,3,80
east,plum,7,30
south,pear,6,80
east,apple,1,50
`;

const REPORT_PY = `import csv
import sqlite3

db = sqlite3.connect(':memory:')
db.execute('CREATE TABLE sales (region TEXT, product TEXT, units INTEGER, price_cents INTEGER)')
with open('data.csv', newline='') as f:
    rows = [(r['region'], r['product'], int(r['units']), int(r['price_cents'])) for r in csv.DictReader(f)]
db.executemany('INSERT INTO sales VALUES (?, ?, ?, ?)', rows)
lines = ['region units revenue_cents']
for region, units, revenue in db.execute(
    'SELECT region, SUM(units), SUM(units * price_cents) FROM sales GROUP BY region ORDER BY region'
):
    lines.append(f'{region} {units} {revenue}')
total = db.execute('SELECT SUM(units), SUM(units * price_cents) FROM sales').fetchone()
lines.append(f'total {total[0]} {total[1]}')
with open('report.txt', 'w') as f:
    f.write('\\n'.join(lines) + '\\n')
`;

/** The report the CSV seed must produce. */
export const EXPECTED_REPORT = 'region units revenue_cents\neast 8 260\nnorth 13 740\nsouth 10 680\ntotal 31 1680\n';

const TEST_REPORT_PY = `expected = ${JSON.stringify(EXPECTED_REPORT)}
with open('report.txt') as f:
    actual = f.read()
assert actual == expected, 'report.txt differs:\\n' + actual
print('report ok')
`;

/** (b) CSV → SQLite → report.txt with python3's standard library; git-branch target. */
export function csvReportRequest(target: BlueTargetSpec): PipelineRequest {
  return {
    intent: 'load data.csv into SQLite and write a per-region report',
    plan: {
      intent: 'load data.csv into SQLite and write a per-region report',
      steps: [
        { tool: 'write_file', args: { path: 'data.csv', content: CSV_DATA } },
        { tool: 'write_file', args: { path: 'report.py', content: REPORT_PY } },
        { tool: 'write_file', args: { path: 'test_report.py', content: TEST_REPORT_PY } },
        { tool: 'run_command', args: { command: 'python3 report.py' } },
      ],
    },
    target,
    verify: { checks: [{ name: 'report', command: 'python3 test_report.py' }], policyWords: [] },
  };
}

const NIGHTLY_SH = `#!/bin/sh
set -eu
date -u +%Y-%m-%dT%H:%M:%SZ > last-nightly.txt
`;

const CRON_CHECK = `set -eu
test -f cron.d/nightly
test "$(wc -l < cron.d/nightly)" -eq 1
grep -Eq '^0 2 \\* \\* \\* sh scripts/nightly.sh$' cron.d/nightly
sh -n scripts/nightly.sh
echo cron ok
`;

/** (c) A nightly cron entry (cron.d/nightly) and its script; git-branch target. */
export function nightlyCronRequest(target: BlueTargetSpec): PipelineRequest {
  return {
    intent: 'run scripts/nightly.sh every night at 02:00',
    plan: {
      intent: 'run scripts/nightly.sh every night at 02:00',
      steps: [
        { tool: 'write_file', args: { path: 'scripts/nightly.sh', content: NIGHTLY_SH } },
        { tool: 'write_file', args: { path: 'scripts/check-cron.sh', content: CRON_CHECK } },
        { tool: 'cron_entry_t1', args: { name: 'nightly', schedule: '0 2 * * *', command: 'sh scripts/nightly.sh' } },
      ],
    },
    target,
    verify: { checks: [{ name: 'cron-file', command: 'sh scripts/check-cron.sh' }], policyWords: [] },
  };
}

/** The target kind each seed is meant for (the origin document's). */
export const SEED_TARGET_KIND: Readonly<Record<SeedName, BlueTargetSpec['kind']>> = {
  'hello-service': 'release-dir',
  'csv-report': 'git-branch',
  'nightly-cron': 'git-branch',
};

export function seedRequest(seed: SeedName, target: BlueTargetSpec, opts: { healthGreenSec?: number } = {}): PipelineRequest {
  if (seed === 'hello-service') return helloServiceRequest(target, opts);
  if (seed === 'csv-report') return csvReportRequest(target);
  return nightlyCronRequest(target);
}

export const FAULT_NAMES = ['tool-crash', 'denied-egress', 'denied-egress-plan', 'disk-full', 'failing-tests', 'stuck-process', 'tripcode-during-apply'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** Where each fault must stop the run. */
export const FAULT_STAGE: Readonly<Record<FaultName, 'PLAN' | 'SIMULATE' | 'VERIFY' | 'PROMOTE'>> = {
  'tool-crash': 'SIMULATE',
  'denied-egress': 'SIMULATE',
  'denied-egress-plan': 'PLAN',
  'disk-full': 'SIMULATE',
  'failing-tests': 'VERIFY',
  'stuck-process': 'SIMULATE',
  'tripcode-during-apply': 'PROMOTE',
};

export interface FaultOptions {
  /** disk-full writes this many MiB (default 64): more than the sandbox's file size limit in the harness. */
  readonly diskFullMb?: number;
  /** stuck-process sleeps this long (default 3600 s): past any step timeout. */
  readonly stuckSec?: number;
}

const withSteps = (plan: Plan, extra: readonly PlanStep[]): Plan => ({ intent: plan.intent, steps: [...plan.steps, ...extra] });

/**
 * The request with the fault applied (failing-tests adds a plausible check that fails at VERIFY:
 * the seeds write no CHANGELOG.md). Faults are extra steps (or a failing check) appended to
 * the seed, so the seed's own work runs first. `tripcode-during-apply` does not change the
 * request: the runner's `hooks.duringSimulate` must turn the lockdown on (see `FAULT_STAGE`).
 */
export function applyFault(request: PipelineRequest, fault: FaultName, opts: FaultOptions = {}): PipelineRequest {
  const step = (command: string): PlanStep => ({ tool: 'run_command', args: { command } });
  switch (fault) {
    case 'tool-crash':
      return { ...request, plan: withSteps(request.plan, [step('kill -SEGV $$')]) };
    case 'denied-egress':
      return {
        ...request,
        plan: withSteps(request.plan, [
          step(`node -e "fetch('http://203.0.113.1/', { signal: AbortSignal.timeout(5000) }).then(() => process.exit(0), (e) => { console.error('egress failed: ' + e.message); process.exit(3); })"`),
        ]),
      };
    case 'denied-egress-plan':
      return { ...request, plan: withSteps(request.plan, [step('curl -fsS http://203.0.113.1/')]) };
    case 'disk-full':
      return { ...request, plan: withSteps(request.plan, [step(`head -c ${(opts.diskFullMb ?? 64) * 1024 * 1024} /dev/zero > fill.bin`)]) };
    case 'failing-tests': {
      const verify: PipelineVerifySpec = { ...request.verify, checks: [...request.verify.checks, { name: 'changelog', command: 'test -s CHANGELOG.md' }] };
      return { ...request, verify };
    }
    case 'stuck-process':
      return { ...request, plan: withSteps(request.plan, [step(`sleep ${opts.stuckSec ?? 3600}`)]) };
    case 'tripcode-during-apply':
      return request;
  }
}
