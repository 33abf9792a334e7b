import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { SleeveCgroup } from '../limits/sleeve-cgroup.js';
import type { HostIdentity } from './host-access.js';

/** fd 3: bwrap's start gate (`--block-fd`); fd 4: bwrap's JSON status (sandbox pid, exit code). */
export const GATE_FD = 3;
export const STATUS_FD = 4;
const START_TIMEOUT_MS = 10_000;

export interface LaunchRequest {
  readonly bwrapPath: string;
  /** bwrap's arguments including the command (they must hold `--block-fd 3 --json-status-fd 4`). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly host: HostIdentity | null;
  readonly cgroup: SleeveCgroup | null;
  /** Give the sandbox a stdin pipe (else /dev/null). */
  readonly stdinPipe: boolean;
  /** More pipes after the status fd (fd 5, 6 …), e.g. the warm pool's script pipe. */
  readonly extraPipes?: number;
}

export interface LaunchedSandbox {
  readonly child: ChildProcess;
  /** Host pid of the outer bwrap process. */
  readonly pid: number;
  /** Host pid of the sandbox's init (pid 1 of its pid namespace). */
  readonly initPid: number;
}

/**
 * Starts bwrap directly and holds the sandbox at its start gate: bwrap builds the namespaces and
 * mounts, reports its init's pid, and waits on `--block-fd` before it runs anything of the
 * sleeve. Meanwhile both bwrap processes are moved into the sleeve's cgroups; only then is the
 * gate opened, so every process of the sleeve's own command is born inside them (the rlimits are
 * set by the sleeve's first shell, see `innerCommand`). Throws an Error with bwrap's first
 * stderr line when the sandbox cannot be started; the child is killed then.
 */
export async function launchSandbox(req: LaunchRequest): Promise<LaunchedSandbox> {
  const pipes = Array.from({ length: req.extraPipes ?? 0 }, () => 'pipe' as const);
  const stdio: StdioOptions = [req.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe', 'pipe', ...pipes];
  const child = spawn(req.bwrapPath, req.argv, {
    cwd: '/',
    env: req.env,
    detached: true,
    ...(req.host === null ? {} : { uid: req.host.uid, gid: req.host.gid }),
    stdio,
  });
  const started = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', (e) => resolve(e));
  });
  if (started !== null || child.pid === undefined) throw new Error(started?.message ?? 'no pid');
  const pid = child.pid;
  const initPid = await readInitPid(child);
  if (initPid === null) {
    child.kill('SIGKILL');
    const detail = await firstStderr(child);
    throw new Error(`bubblewrap did not start${detail === '' ? '' : `: ${detail}`}`);
  }
  if (req.cgroup !== null && !(req.cgroup.addProcess(pid) && req.cgroup.addProcess(initPid))) {
    child.kill('SIGKILL');
    const detail = await firstStderr(child);
    throw new Error(`cannot move the sandbox into its cgroup${detail === '' ? '' : ` (bubblewrap: ${detail})`}`);
  }
  const gate = child.stdio[GATE_FD] as Writable;
  gate.on('error', () => undefined);
  gate.end('g');
  return { child, pid, initPid };
}

/** The host pid of the sandbox's init from bwrap's JSON status, or null if bwrap ended first. */
function readInitPid(child: ChildProcess): Promise<number | null> {
  const status = child.stdio[STATUS_FD] as Readable;
  return new Promise((resolve) => {
    let text = '';
    const done = (pid: number | null): void => {
      clearTimeout(timer);
      status.off('data', onData);
      status.resume();
      resolve(pid);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (m !== null) done(Number(m[1]));
    };
    const timer = setTimeout(() => done(null), START_TIMEOUT_MS);
    status.on('data', onData);
    status.once('end', () => done(null));
    child.once('exit', () => setImmediate(() => done(null)));
  });
}

/** The first stderr text of a child that failed to start (for the error message). */
function firstStderr(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(text.trim()), 500);
    child.stderr?.on('data', (c: Buffer) => (text += c.toString('utf8')));
    child.stderr?.once('end', () => {
      clearTimeout(timer);
      resolve(text.trim().split('\n')[0] ?? '');
    });
  });
}
