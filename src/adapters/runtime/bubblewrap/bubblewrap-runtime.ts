import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorticalError } from '../../../core/errors.js';
import type { EgressGateway, EgressGrant } from '../../../core/ports/egress.js';
import type { Runtime, Sleeve, SpawnSpec } from '../../../core/ports/runtime.js';
import { handStdin } from '../process/sleeve-input.js';
import { DEFAULT_SANDBOX, type Enforcement, type SleeveLimits } from '../../../core/sandbox.js';
import { detectCgroups, type CgroupSupport } from '../limits/cgroup-support.js';
import { rlimitPlan, ulimitScript } from '../limits/rlimits.js';
import { SleeveCgroup } from '../limits/sleeve-cgroup.js';
import { BubblewrapSleeve } from './bubblewrap-sleeve.js';
import { assertHandOverSafe, chownSmallTreeSync, chownTree, ensureSearchable, type HostIdentity } from './host-access.js';
import { bwrapArgs, EGRESS_PROXY_PORT, innerCommand, type AnchorBind } from './bwrap-args.js';
import { resolveCommand } from './resolve-command.js';
import { GATE_FD, launchSandbox, STATUS_FD, type LaunchedSandbox } from './sandbox-launch.js';

export const DEFAULT_BWRAP_PATH = '/usr/bin/bwrap';
/** The node's own installation (this checkout): agent programs and the forwarder live in it. */
export const INSTALL_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const DEFAULT_FORWARDER_PATH = fileURLToPath(
  new URL('../../egress/forwarder/egress-forwarder.mjs', import.meta.url),
);
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

/** What a sandbox of a warm pool is made with (everything but the task's identity). */
export interface WarmSandboxRequest {
  readonly sleeveId: string;
  readonly network: 'none' | 'open';
  readonly limits: SleeveLimits;
  /** The pool's slots, bound read-write at the anchors' paths. */
  readonly anchors: readonly AnchorBind[];
  /** Hidden in this sandbox besides the runtime's hidden paths (the pool's own directory). */
  readonly extraHidden: readonly string[];
  /** The waiting command, given the rlimit script (`ulimit … || exit 125; `) it must run first. */
  readonly waiter: (rlimits: string) => string[];
  /** Pipes after the status fd (fd 5 …). */
  readonly extraPipes: number;
}

export interface StartedSandbox {
  readonly launched: LaunchedSandbox;
  readonly cgroup: SleeveCgroup | null;
}

/**
 * The `bubblewrap` runtime: each sleeve is a bwrap sandbox with its own user, pid, ipc, uts,
 * mount (and, unless `open`, network) namespaces, the host's filesystem read-only with sensitive
 * places hidden, the workspace writable, and limits from a per-sleeve cgroup plus rlimits.
 *
 * Start sequence (no window without limits): the node makes the sleeve's cgroups and starts bwrap
 * itself, which builds the sandbox and then waits on its `--block-fd` gate; the node moves both
 * bwrap processes into the cgroups and opens the gate; the sandbox's first shell sets the rlimits
 * and execs the command. Nothing of the sleeve runs before it is inside its cgroups and rlimits.
 */
export class BubblewrapRuntime implements Runtime {
  readonly name = 'bubblewrap';
  readonly sandboxed = true;
  readonly enforcement: Enforcement;
  private readonly cgroups: CgroupSupport;
  /** Set when the sandbox runs as another host identity than the node (a root node). */
  private readonly host: HostIdentity | null;
  /** Exposed paths already made reachable for the sandbox identity. */
  private exposedReachable = false;

  constructor(private readonly options: BubblewrapRuntimeOptions = {}) {
    this.cgroups = detectCgroups(options.cgroupRoot, options.cgroupParent);
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

  /** The host identity sandboxes run as when it is not the node's own (a root node), else null. */
  get hostIdentity(): HostIdentity | null {
    return this.host;
  }

  private exposedPaths(): readonly string[] {
    return this.options.exposedPaths ?? [INSTALL_ROOT];
  }

  private describeEnforcement(): Enforcement {
    const cg = this.cgroups;
    const mech = cg.version === 'v2' ? 'cgroup-v2' : 'cgroup-v1';
    return {
      memoryMb: cg.parents.memory !== undefined ? mech : 'rlimit',
      cpuPercent: cg.parents.cpu !== undefined ? mech : 'none',
      maxProcesses: cg.parents.pids !== undefined ? mech : 'rlimit',
      maxFileSizeMb: 'rlimit',
      maxOpenFiles: 'rlimit',
      diskQuotaMb: 'quota-check',
      network: 'namespace',
      filesystem: 'namespace',
    };
  }

  /**
   * Hands `trees` (a workspace and its writable paths) to the sandbox identity of a root node:
   * refuses trees that are not clearly a workspace, makes their parents searchable and chowns
   * what is not owned yet. A no-op when the sandbox runs as the node's own identity.
   */
  async handOver(trees: readonly string[], searchable: readonly string[] = trees): Promise<void> {
    const who = this.host;
    if (who === null) return;
    for (const p of trees) assertHandOverSafe(p, this.options.hiddenPaths ?? []);
    for (const p of searchable) ensureSearchable(p, who);
    this.makeExposedReachable(who);
    for (const p of trees) if (!chownSmallTreeSync(p, who)) await chownTree(p, who);
  }

  /** Makes bind sources reachable for the sandbox identity (their parents searchable). */
  makeReachable(paths: readonly string[]): void {
    const who = this.host;
    if (who === null) return;
    for (const p of paths) ensureSearchable(p, who);
    this.makeExposedReachable(who);
  }

  /**
   * The node's installation (agent programs, the forwarder) must be reachable by the sandbox
   * identity whether a sleeve starts cold or is claimed warm (e.g. a checkout in a 0700 mktemp
   * directory). Once per runtime.
   */
  private makeExposedReachable(who: HostIdentity): void {
    if (this.exposedReachable) return;
    // ensureSearchable opens the parents of its argument: name a child so `p` itself opens too
    for (const p of this.exposedPaths()) ensureSearchable(join(p, 'any-child'), who);
    this.exposedReachable = true;
  }

  /**
   * A sandbox running as another host user must reach its bind sources and own what it may
   * write: the workspace and writable paths are handed over, the parents of every bind source
   * made searchable, the egress socket made connectable.
   */
  private async grantAccess(spec: SpawnSpec, grant: EgressGrant | null): Promise<void> {
    const who = this.host!;
    await this.handOver([spec.cwd, ...(spec.writablePaths ?? [])]);
    this.makeReachable(spec.readOnlyPaths ?? []);
    if (grant !== null) {
      ensureSearchable(grant.socketPath, who);
      await chown(grant.socketPath, who.uid, who.gid);
    }
    const script = this.options.forwarderPath ?? DEFAULT_FORWARDER_PATH;
    if (spec.sandbox?.network.mode === 'allowlist') ensureSearchable(script, who);
  }

  private rlimitsFor(limits: SleeveLimits, cgroup: SleeveCgroup | null): string {
    return ulimitScript(rlimitPlan(limits, { memory: cgroup?.applied.memory ?? false, pids: cgroup?.applied.pids ?? false }));
  }

  private commonPlan(network: 'none' | 'open' | 'allowlist', extraHidden: readonly string[] = []) {
    return {
      network,
      uid: this.options.uid ?? 1000,
      gid: this.options.gid ?? 1000,
      hiddenPaths: [...(this.options.hiddenPaths ?? []), ...extraHidden],
      exposedPaths: this.exposedPaths(),
      statusFd: STATUS_FD,
      blockFd: GATE_FD,
    };
  }

  /**
   * Starts a warm pool's sandbox: namespaces, mounts (the slots at the anchors' paths), cgroups
   * and rlimits of the profile, running `waiter`. Throws an Error when it cannot start.
   */
  async startWarm(req: WarmSandboxRequest): Promise<StartedSandbox> {
    this.makeReachable(req.anchors.map((a) => a.slot));
    const cgroup = this.cgroups.version === 'none' ? null : SleeveCgroup.create(this.cgroups, req.sleeveId, req.limits);
    const argv = [
      ...bwrapArgs({ ...this.commonPlan(req.network, req.extraHidden), cwd: null, home: undefined, writablePaths: [], readOnlyPaths: [], anchors: req.anchors }),
      ...req.waiter(this.rlimitsFor(req.limits, cgroup)),
    ];
    try {
      const launched = await launchSandbox({ bwrapPath: this.bwrapPath, argv, env: {}, host: this.host, cgroup, stdinPipe: true, extraPipes: req.extraPipes });
      return { launched, cgroup };
    } catch (e) {
      await cgroup?.remove();
      throw e;
    }
  }

  /** The sleeve of a started sandbox (`cwd` and `writablePaths` as host paths, for the quota checks). */
  sleeveOf(started: StartedSandbox, opts: { cwd: string; writablePaths: readonly string[]; limits: SleeveLimits; grant: EgressGrant | null }): BubblewrapSleeve {
    return new BubblewrapSleeve(started.launched.child, started.launched.pid, started.launched.initPid, {
      ...opts,
      cgroup: started.cgroup,
      monitorIntervalMs: this.options.monitorIntervalMs ?? 200,
      diskCheckIntervalMs: this.options.diskCheckIntervalMs ?? 2000,
      maxLineChars: this.options.maxLineChars,
      lineHighWater: this.options.lineHighWater,
    });
  }

  private get bwrapPath(): string {
    return this.options.bwrapPath ?? DEFAULT_BWRAP_PATH;
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
    const cgroup = this.cgroups.version === 'none' ? null : SleeveCgroup.create(this.cgroups, sleeveId, limits);
    const argv = [
      ...bwrapArgs({
        ...this.commonPlan(network),
        cwd: spec.cwd,
        home: spec.env.HOME,
        writablePaths: spec.writablePaths ?? [],
        readOnlyPaths: spec.readOnlyPaths ?? [],
        egressSocket: grant?.socketPath,
      }),
      ...innerCommand(command, spec.args, { keepPwd: 'PWD' in spec.env, rlimits: this.rlimitsFor(limits, cgroup), forwarder }),
    ];
    let launched: LaunchedSandbox;
    try {
      launched = await launchSandbox({ bwrapPath: this.bwrapPath, argv, env, host: this.host, cgroup, stdinPipe: spec.stdin !== undefined || spec.keepStdinOpen === true });
    } catch (e) {
      await cgroup?.remove();
      await grant?.release().catch(() => undefined);
      throw unavailable((e as Error).message);
    }
    const input = spec.stdin !== undefined || spec.keepStdinOpen === true ? handStdin(launched.child.stdin, spec.stdin, spec.keepStdinOpen === true) : undefined;
    const sleeve = this.sleeveOf({ launched, cgroup }, { cwd: spec.cwd, writablePaths: spec.writablePaths ?? [], limits, grant });
    sleeve.input = input;
    return sleeve;
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
