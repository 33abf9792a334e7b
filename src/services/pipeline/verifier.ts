/**
 * VERIFY: runs Green's checks and (optionally) a shadow instance of its service on a clean
 * checkout of Green's HEAD commit, in sleeves of the node's runtime. It never writes Green or Blue.
 *
 * - `workDir` (must not exist, or be an empty directory) becomes a clone of Green's HEAD commit:
 *   files Green has not committed do not leak in.
 * - Each check is `sh -c <command>` in a sleeve (the given sandbox, default: network `none`),
 *   stopped when it runs past its timeout (the check then fails, "timed out"). The first failing
 *   check ends the verification (later checks and the service do not run).
 * - The service runs with a free shadow port in `portEnv` and is probed from the host at
 *   `http://127.0.0.1:<port><healthPath>`. Its sleeve shares the host's network (mode `open`):
 *   a sleeve with a network namespace of its own (mode `none`) cannot be reached from the host.
 *   Its output is scanned for the policy words (case-insensitive; any hit fails). It is always
 *   stopped.
 * - Artifacts: the digest of `workDir` (without `.git`) after the checks.
 */
import { createServer } from 'node:net';
import { readdir, rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { CorticalError } from '../../core/errors.js';
import type { Runtime, Sleeve } from '../../core/ports/runtime.js';
import { DEFAULT_SANDBOX, type SandboxSpec } from '../../core/sandbox.js';
import { cloneAt, mustGit } from './git-branch-target.js';
import { probeHealth } from './health-probe.js';
import { digestTree, type TreeDigest } from './tree-digest.js';

export interface VerifySpec {
  checks: readonly { name: string; command: string; timeoutMs?: number }[];
  service?: { command: string; healthPath?: string; portEnv?: string; healthGreenSec: number; startTimeoutMs?: number };
  policyWords: readonly string[];
}

export interface VerifyCheckResult {
  name: string;
  command: string;
  exitCode: number | null;
  durationMs: number;
  passed: boolean;
  outputTail: string;
}

export interface VerifyServiceResult {
  passed: boolean;
  shadowPort: number;
  probes: number;
  okProbes: number;
  greenForMs: number;
  logHits: string[];
  reason: string | null;
}

export interface VerifyResult {
  passed: boolean;
  reason: string | null;
  checks: VerifyCheckResult[];
  service: null | VerifyServiceResult;
  artifacts: TreeDigest;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_SERVICE_START_TIMEOUT_MS = 30_000;
/** How long a stopped sleeve gets between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 2_000;
const TAIL_CHARS = 4_000;
const MAX_LOG_HITS = 20;

const specSchema = z.object({
  checks: z.array(z.object({ name: z.string().min(1), command: z.string().min(1), timeoutMs: z.number().int().positive().optional() })),
  service: z
    .object({
      command: z.string().min(1),
      healthPath: z.string().startsWith('/').optional(),
      portEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
      healthGreenSec: z.number().nonnegative(),
      startTimeoutMs: z.number().int().positive().optional(),
    })
    .optional(),
  policyWords: z.array(z.string().min(1)),
});

/** Keeps the last `TAIL_CHARS` characters of a stream of lines. */
class Tail {
  private parts: string[] = [];
  private size = 0;
  push(line: string): void {
    this.parts.push(line);
    this.size += line.length + 1;
    while (this.size > TAIL_CHARS && this.parts.length > 1) this.size -= (this.parts.shift() ?? '').length + 1;
  }
  text(): string {
    const t = this.parts.join('\n');
    return t.length > TAIL_CHARS ? t.slice(-TAIL_CHARS) : t;
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => done(port));
    });
  });
}

async function prepareWorkDir(greenDir: string, workDir: string): Promise<void> {
  const entries = await readdir(workDir).catch(() => null);
  if (entries !== null) {
    if (entries.length > 0) throw new CorticalError('CONFLICT', `verify: workDir ${workDir} is not empty; give a new or empty directory`);
    await rmdir(workDir);
  }
  const head = await mustGit(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: greenDir });
  await cloneAt(greenDir, head, workDir);
}

function linkedAbort(signal: AbortSignal | undefined): AbortController {
  const ac = new AbortController();
  if (signal?.aborted === true) ac.abort();
  else signal?.addEventListener('abort', () => ac.abort(), { once: true });
  return ac;
}

export async function verifyGreen(input: {
  runtime: Runtime;
  greenDir: string;
  workDir: string;
  spec: VerifySpec;
  env?: Record<string, string>;
  sandbox?: SandboxSpec;
  signal?: AbortSignal;
  onProbe?: (ok: boolean) => void;
}): Promise<VerifyResult> {
  const parsed = specSchema.safeParse(input.spec);
  if (!parsed.success) {
    const what = parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ');
    throw new CorticalError('VALIDATION_FAILED', `invalid verify spec (${what})`);
  }
  const spec = input.spec;
  const greenDir = resolve(input.greenDir);
  const workDir = resolve(input.workDir);
  await prepareWorkDir(greenDir, workDir);
  const sandbox = input.sandbox ?? DEFAULT_SANDBOX;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: workDir, LANG: 'C.UTF-8', ...input.env };
  const aborted = (): boolean => input.signal?.aborted === true;

  const checks: VerifyCheckResult[] = [];
  let reason: string | null = null;
  for (const check of spec.checks) {
    if (aborted()) {
      reason = 'aborted';
      break;
    }
    const timeoutMs = check.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    const t0 = performance.now();
    const sleeve = await input.runtime.spawn({ command: '/bin/sh', args: ['-c', check.command], cwd: workDir, env, sandbox });
    let timedOut = false;
    let stoppedByAbort = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void sleeve.stop(STOP_GRACE_MS);
    }, timeoutMs);
    const onAbort = (): void => {
      stoppedByAbort = true;
      void sleeve.stop(STOP_GRACE_MS);
    };
    input.signal?.addEventListener('abort', onAbort, { once: true });
    const tail = new Tail();
    for await (const l of sleeve.lines) tail.push(l.text);
    const exit = await sleeve.exited;
    clearTimeout(timer);
    input.signal?.removeEventListener('abort', onAbort);
    const passed = !timedOut && !stoppedByAbort && exit.exitCode === 0;
    checks.push({ name: check.name, command: check.command, exitCode: exit.exitCode, durationMs: Math.round(performance.now() - t0), passed, outputTail: tail.text() });
    if (!passed) {
      reason = timedOut
        ? `check "${check.name}" timed out after ${timeoutMs} ms`
        : stoppedByAbort
          ? 'aborted'
          : `check "${check.name}" failed (exit ${exit.exitCode ?? exit.signal ?? exit.reason ?? 'unknown'})`;
      break;
    }
  }

  const artifacts = await digestTree(workDir, { exclude: ['.git'] });
  let service: VerifyServiceResult | null = null;
  if (reason === null && spec.service !== undefined) {
    service = await runService({ ...input, spec, service: spec.service, workDir, env, sandbox });
    if (!service.passed) reason = `service: ${service.reason ?? 'failed'}`;
  }
  return { passed: reason === null, reason, checks, service, artifacts };
}

async function runService(input: {
  runtime: Runtime;
  spec: VerifySpec;
  service: NonNullable<VerifySpec['service']>;
  workDir: string;
  env: Record<string, string>;
  sandbox: SandboxSpec;
  signal?: AbortSignal;
  onProbe?: (ok: boolean) => void;
}): Promise<VerifyServiceResult> {
  const svc = input.service;
  const port = await freePort();
  const words = input.spec.policyWords.map((w) => w.toLowerCase());
  const logHits: string[] = [];
  let hitCount = 0;
  // The host must reach the service's port: the sleeve shares the host network (see file comment).
  const sleeve: Sleeve = await input.runtime.spawn({
    command: '/bin/sh',
    args: ['-c', svc.command],
    cwd: input.workDir,
    env: { ...input.env, [svc.portEnv ?? 'PORT']: String(port) },
    sandbox: { ...input.sandbox, network: { mode: 'open', allow: [] } },
  });
  const abort = linkedAbort(input.signal);
  let exitedEarly: string | null = null;
  void sleeve.exited.then((e) => {
    if (!abort.signal.aborted) {
      exitedEarly = `service exited (${e.exitCode ?? e.signal ?? e.reason ?? 'unknown'}) while being probed`;
      abort.abort();
    }
  });
  const reading = (async () => {
    for await (const l of sleeve.lines) {
      const lower = l.text.toLowerCase();
      if (words.some((w) => lower.includes(w))) {
        hitCount++;
        if (logHits.length < MAX_LOG_HITS) logHits.push(l.text.slice(0, 500));
      }
    }
  })();
  let probe;
  try {
    probe = await probeHealth({
      url: `http://127.0.0.1:${port}${svc.healthPath ?? '/healthz'}`,
      greenForMs: svc.healthGreenSec * 1000,
      startTimeoutMs: svc.startTimeoutMs ?? DEFAULT_SERVICE_START_TIMEOUT_MS,
      signal: abort.signal,
      onProbe: input.onProbe,
    });
  } finally {
    abort.abort();
    await sleeve.stop(STOP_GRACE_MS);
    await reading;
  }
  let reason: string | null = null;
  if (!probe.passed) reason = (probe.reason === 'aborted' && exitedEarly !== null ? exitedEarly : probe.reason) ?? 'health probe failed';
  else if (hitCount > 0) reason = `policy words in the service's output (${hitCount} line${hitCount === 1 ? '' : 's'})`;
  return { passed: reason === null, shadowPort: port, probes: probe.probes, okProbes: probe.okProbes, greenForMs: probe.greenForMs, logHits, reason };
}
