import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorticalError } from '../../../core/errors.js';
import type { EgressGateway, EgressGrant } from '../../../core/ports/egress.js';
import type { Runtime, Sleeve, SpawnSpec } from '../../../core/ports/runtime.js';
import { DEFAULT_SANDBOX, type Enforcement } from '../../../core/sandbox.js';
import { detectCgroups, type CgroupSupport } from '../limits/cgroup-support.js';
import { prlimitArgs, rlimitPlan, ulimitScript } from '../limits/rlimits.js';
import { SleeveCgroup } from '../limits/sleeve-cgroup.js';
import { BubblewrapSleeve } from './bubblewrap-sleeve.js';
import { assertHandOverSafe, chownTree, ensureSearchable, type HostIdentity } from './host-access.js';
import { bwrapArgs, EGRESS_PROXY_PORT, innerCommand } from './bwrap-args.js';
import { resolveCommand } from './resolve-command.js';

export const DEFAULT_BWRAP_PATH = '/usr/bin/bwrap';
const DEFAULT_PRLIMIT_PATH = '/usr/bin/prlimit';
/** The egress forwarder started inside `allowlist` sleeves (`<listenPort> <unixSocketPath>`). */
/** The node's own installation (this checkout): agent programs and the forwarder live in it. */
export const INSTALL_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const DEFAULT_FORWARDER_PATH = fileURLToPath(
  new URL('../../egress/forwarder/egress-forwarder.mjs', import.meta.url),
);
/** fd 3: the start gate; fd 4: bwrap's JSON status (sandbox pid, exit code). */
const GATE_FD = 3;
const STATUS_FD = 4;
const START_TIMEOUT_MS = 10_000;
const NOBODY = 65534;

export interface BubblewrapRuntimeOptions {
  readonly bwrapPath?: string;
  /** Needed for `allowlist` sleeves. */
  readonly egress?: EgressGateway;
  /** Host paths hidden behind an empty tmpfs (the node's work dir, HQ's data dir …). */
  readonly hiddenPaths?: readonly string[];
  /**
   * Read-only paths kept visible even when they lie under /tmp, /home or /root (default: the
   * node's installation, which holds the agent programs and the egress forwarder).
   */
  readonly exposedPaths?: readonly string[];
  /** uid/gid inside the sleeve (default 1000:1000); mapped onto the host identity below. */
  readonly uid?: number;
  readonly gid?: number;
  /**
   * Host uid/gid the sandbox runs as. Default: the node's own when it is not root; 65534:65534
   * when it is, because a sandbox mapped onto host root could still read root-only files and
   * write global sysctls. The workspace and writable paths are then handed to this identity.
   */
  readonly hostUid?: number;
  readonly hostGid?: number;
  /** cgroup filesystem mount (default /sys/fs/cgroup); sleeves go to `<controller>/cortical/<id>`. */
  readonly cgroupRoot?: string;
  /** Name of the parent cgroup of all sleeves (default `cortical`). */
  readonly cgroupParent?: string;
  /** `prlimit` binary; null = use `ulimit` in the start shell (default: /usr/bin/prlimit if present). */
  readonly prlimitPath?: string | null;
  /** The egress forwarder program (default: src/adapters/egress/forwarder/egress-forwarder.mjs). */
  readonly forwarderPath?: string;
  /** Node.js binary that runs the forwarder inside (default: this process's). */
  readonly nodePath?: string;
  /** How often the workspace size is measured when a disk quota is set (default 2000 ms). */
  readonly diskCheckIntervalMs?: number;
  /** How often cgroup counters are read (default 200 ms). */
  readonly monitorIntervalMs?: number;
  readonly maxLineChars?: number;
  readonly lineHighWater?: number;
}

/**
 * The `bubblewrap` runtime: each sleeve is a bwrap sandbox with its own user, pid, ipc, uts,
 * mount (and, unless `open`, network) namespaces, the host's filesystem read-only with sensitive
 * places hidden, the workspace writable, and limits from a per-sleeve cgroup plus rlimits.
 *
 * Start sequence (no window without limits): the node starts `/bin/sh` with a gate pipe on fd 3;
 * the shell blocks reading it while the node writes the shell's pid into the sleeve's cgroups,
 * then the node opens the gate and the shell execs (prlimit →) bwrap, so every process of the
 * sandbox is born inside the cgroups with the rlimits already set.
 */
export class BubblewrapRuntime implements Runtime {
  readonly name = 'bubblewrap';
  readonly sandboxed = true;
  readonly enforcement: Enforcement;
  private readonly cgroups: CgroupSupport;
  private readonly prlimit: string | null;
  /** Set when the sandbox runs as another host identity than the node (a root node). */
  private readonly host: HostIdentity | null;

  constructor(private readonly options: BubblewrapRuntimeOptions = {}) {
    this.cgroups = detectCgroups(options.cgroupRoot, options.cgroupParent);
    this.prlimit =
      options.prlimitPath === undefined ? (existsSync(DEFAULT_PRLIMIT_PATH) ? DEFAULT_PRLIMIT_PATH : null) : options.prlimitPath;
    this.enforcement = this.describeEnforcement();
    this.host = hostIdentity(options.hostUid, options.hostGid);
  }

  /**
   * Whether bwrap exists and a trivial sandbox (user + pid + net namespaces) starts here, as the
   * host identity sandboxes would run as (65534 when this process is root).
   */
  static async available(bwrapPath = DEFAULT_BWRAP_PATH, host = hostIdentity(undefined, undefined)): Promise<boolean> {
    if (process.platform !== 'linux' || !existsSync(bwrapPath)) return false;
    const args = ['--unshare-user', '--unshare-pid', '--unshare-net', '--die-with-parent', '--uid', '1000', '--gid', '1000'];
    return new Promise((resolve) => {
      const child = spawn(bwrapPath, [...args, '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '/bin/true'], {
        stdio: 'ignore',
        env: {},
        timeout: 5000,
        ...(host === null ? {} : { uid: host.uid, gid: host.gid }),
      });
      child.once('error', () => resolve(false));
      child.once('exit', (code) => resolve(code === 0));
    });
  }

  private exposedPaths(): readonly string[] {
    return this.options.exposedPaths ?? [INSTALL_ROOT];
  }

  private describeEnforcement(): Enforcement {
    const cg = this.cgroups;
    const mech = cg.version === 'v2' ? 'cgroup-v2' : 'cgroup-v1';
    const rl = this.prlimit !== null ? 'prlimit' : 'rlimit';
    return {
      memoryMb: cg.parents.memory !== undefined ? mech : rl,
      cpuPercent: cg.parents.cpu !== undefined ? mech : 'none',
      maxProcesses: cg.parents.pids !== undefined ? mech : rl,
      maxFileSizeMb: rl,
      maxOpenFiles: rl,
      diskQuotaMb: 'quota-check',
      network: 'namespace',
      filesystem: 'namespace',
    };
  }

  /**
   * A sandbox running as another host user must reach its bind sources and own what it may
   * write: the workspace and writable paths are handed over, the parents of every bind source
   * made searchable, the egress socket made connectable.
   */
  private async grantAccess(spec: SpawnSpec, grant: EgressGrant | null): Promise<void> {
    const who = this.host!;
    const trees = [spec.cwd, ...(spec.writablePaths ?? [])];
    for (const p of trees) assertHandOverSafe(p, this.options.hiddenPaths ?? []);
    for (const p of trees) {
      await ensureSearchable(p, who);
      await chownTree(p, who);
    }
    for (const p of spec.readOnlyPaths ?? []) await ensureSearchable(p, who);
    for (const p of this.exposedPaths()) await ensureSearchable(join(p, '.'), who);
    if (grant !== null) {
      await ensureSearchable(grant.socketPath, who);
      await chown(grant.socketPath, who.uid, who.gid);
    }
    const script = this.options.forwarderPath ?? DEFAULT_FORWARDER_PATH;
    if (spec.sandbox?.network.mode === 'allowlist') await ensureSearchable(script, who);
  }

  async spawn(spec: SpawnSpec): Promise<Sleeve> {
    const unavailable = (why: string): CorticalError =>
      new CorticalError('UNAVAILABLE', `cannot start ${spec.command}: ${why}`, { command: spec.command });
    if (!isDirectory(spec.cwd)) throw unavailable(`working directory ${spec.cwd} does not exist`);
    const missing = (spec.writablePaths ?? []).find((p) => !existsSync(p));
    if (missing !== undefined) throw unavailable(`writable path ${missing} does not exist`);
    const command = resolveCommand(spec.command, spec.cwd, spec.env.PATH);
    if (command === null) throw unavailable('not found');
    const sandbox = spec.sandbox ?? DEFAULT_SANDBOX;
    const network = sandbox.network.mode;
    const sleeveId = `sleeve-${randomUUID()}`;

    let grant: EgressGrant | null = null;
    let forwarder: { nodePath: string; script: string } | undefined;
    const env: Record<string, string> = { ...spec.env };
    if (network === 'allowlist') {
      if (this.options.egress === undefined) throw unavailable('network mode allowlist needs an egress gateway');
      const script = this.options.forwarderPath ?? DEFAULT_FORWARDER_PATH;
      if (!existsSync(script)) throw unavailable(`egress forwarder ${script} is missing`);
      forwarder = { nodePath: this.options.nodePath ?? process.execPath, script };
      grant = await this.options.egress.open({ sleeveId, allow: sandbox.network.allow });
      const proxy = `http://127.0.0.1:${EGRESS_PROXY_PORT}`;
      Object.assign(env, { HTTP_PROXY: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, https_proxy: proxy, NO_PROXY: '' });
    }

    try {
      if (this.host !== null) await this.grantAccess(spec, grant);
    } catch (e) {
      await grant?.release().catch(() => undefined);
      throw unavailable(`cannot prepare the workspace for the sandbox user: ${(e as Error).message}`);
    }

    const limits = sandbox.limits;
    let cgroup: SleeveCgroup | null = null;
    if (this.cgroups.version !== 'none') cgroup = SleeveCgroup.create(this.cgroups, sleeveId, limits);
    const plan = rlimitPlan(limits, { memory: cgroup?.applied.memory ?? false, pids: cgroup?.applied.pids ?? false });

    const bwrap = [
      this.options.bwrapPath ?? DEFAULT_BWRAP_PATH,
      ...bwrapArgs({
        cwd: spec.cwd,
        home: spec.env.HOME,
        network,
        uid: this.options.uid ?? 1000,
        gid: this.options.gid ?? 1000,
        hiddenPaths: this.options.hiddenPaths ?? [],
        exposedPaths: this.exposedPaths(),
        writablePaths: spec.writablePaths ?? [],
        readOnlyPaths: spec.readOnlyPaths ?? [],
        egressSocket: grant?.socketPath,
        statusFd: STATUS_FD,
      }),
      ...innerCommand(command, spec.args, { keepPwd: 'PWD' in spec.env, forwarder }),
    ];
    const limitsPrefix = this.prlimit !== null ? prlimitArgs(this.prlimit, plan) : [];
    const ulimits = this.prlimit !== null ? '' : ulimitScript(plan);
    const prelude = `read -r go <&${GATE_FD} && [ "$go" = go ] || exit 125; exec ${GATE_FD}<&-; ${ulimits}exec "$@"`;

    const abort = async (why: string): Promise<never> => {
      await cgroup?.remove();
      await grant?.release().catch(() => undefined);
      throw unavailable(why);
    };
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', prelude, 'sh', ...limitsPrefix, ...bwrap], {
        cwd: '/',
        env,
        detached: true,
        ...(this.host === null ? {} : { uid: this.host.uid, gid: this.host.gid }),
        stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'],
      });
    } catch (e) {
      return abort((e as Error).message);
    }
    const started = await new Promise<Error | null>((resolve) => {
      child.once('spawn', () => resolve(null));
      child.once('error', (e) => resolve(e));
    });
    if (started !== null || child.pid === undefined) return abort(started?.message ?? 'no pid');
    const pid = child.pid;
    if (cgroup !== null && !cgroup.addProcess(pid)) {
      child.kill('SIGKILL');
      return abort('cannot move the sandbox into its cgroup');
    }
    (child.stdio[GATE_FD] as Writable).end('go\n');
    const initPid = await readInitPid(child);
    if (initPid === null) {
      child.kill('SIGKILL');
      const detail = await firstStderr(child);
      return abort(`bubblewrap did not start${detail === '' ? '' : `: ${detail}`}`);
    }
    if (spec.stdin !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(spec.stdin);
    }
    return new BubblewrapSleeve(child, pid, initPid, {
      cwd: spec.cwd,
      writablePaths: spec.writablePaths ?? [],
      limits,
      cgroup,
      grant,
      monitorIntervalMs: this.options.monitorIntervalMs ?? 200,
      diskCheckIntervalMs: this.options.diskCheckIntervalMs ?? 2000,
      maxLineChars: this.options.maxLineChars,
      lineHighWater: this.options.lineHighWater,
    });
  }
}

/** The identity sandboxes run as when it differs from this process's (root); else null. */
function hostIdentity(uid: number | undefined, gid: number | undefined): HostIdentity | null {
  const self = process.getuid?.() ?? -1;
  const wantedUid = uid ?? (self === 0 ? NOBODY : self);
  if (wantedUid === self && (gid === undefined || gid === process.getgid?.())) return null;
  return { uid: wantedUid, gid: gid ?? (uid === undefined ? NOBODY : wantedUid) };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
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

