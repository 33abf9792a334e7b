/**
 * The Docker container of one sleeve, as dockerode `ContainerCreateOptions`. Pure: no engine
 * calls, no filesystem; the runtime checks paths before and passes what it found.
 */
import type { ContainerCreateOptions, HostConfig } from 'dockerode';
import { CorticalError } from '../../../core/errors.js';
import type { SpawnSpec } from '../../../core/ports/runtime.js';
import { DEFAULT_SANDBOX, type SleeveLimits } from '../../../core/sandbox.js';

const MB = 1024 * 1024;
/** Label that names a container's sleeve (`docker ps --filter label=cortical.sleeve`). */
export const SLEEVE_LABEL = 'cortical.sleeve';
export const DEFAULT_SLEEVE_UID = 1000;
export const DEFAULT_SLEEVE_GID = 1000;
/** Starts the command with exactly the given environment (image and engine variables dropped). */
export const DEFAULT_ENV_COMMAND = '/usr/bin/env';

/** A host path no sleeve may see, where it lies inside a bind; `directory` picks how it is covered. */
export interface HiddenPath {
  readonly path: string;
  readonly directory: boolean;
}

export interface DockerContainerOptions {
  readonly image: string;
  readonly sleeveId: string;
  /** Identity inside the container (default 1000:1000); never 0. */
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  /** Hidden host paths; only those inside a bind need covering (nothing else is mounted). */
  readonly hiddenPaths?: readonly HiddenPath[] | undefined;
  /** Host paths bound read-only at the same place (the node's installation: agent programs). */
  readonly exposedPaths?: readonly string[] | undefined;
  /** `env` binary inside the image (default /usr/bin/env). */
  readonly envCommand?: string | undefined;
}

/** `a` is `b` or lies below it (absolute, normalised POSIX paths). */
export function isWithinPath(a: string, b: string): boolean {
  const na = normalise(a);
  const nb = normalise(b);
  return na === nb || nb === '/' || na.startsWith(`${nb}/`);
}

function normalise(p: string): string {
  const parts: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') parts.pop();
    else parts.push(s);
  }
  return `/${parts.join('/')}`;
}

function refuse(message: string, details: Record<string, unknown> = {}): never {
  throw new CorticalError('UNAVAILABLE', message, details);
}

function absolute(p: string, what: string): string {
  if (!p.startsWith('/')) refuse(`docker runtime: ${what} must be an absolute path, got '${p}'`, { path: p });
  // The legacy bind syntax is `source:target:mode`; a colon would be read as a separator.
  if (p.includes(':')) refuse(`docker runtime: ${what} '${p}' contains ':', which docker binds cannot express`, { path: p });
  return normalise(p);
}

/** Docker's network mode for a sleeve's policy; `allowlist` needs the egress proxy (bubblewrap). */
export function dockerNetworkMode(mode: 'none' | 'allowlist' | 'open'): 'none' | 'bridge' {
  if (mode === 'none') return 'none';
  if (mode === 'open') return 'bridge';
  return refuse('docker runtime supports network none|open; use bubblewrap for allowlist', { network: mode });
}

/** Limits as HostConfig fields; a null limit is left out (the engine's default: unlimited). */
export function dockerLimits(limits: SleeveLimits): Pick<HostConfig, 'Memory' | 'MemorySwap' | 'NanoCpus' | 'PidsLimit' | 'Ulimits'> {
  const out: Pick<HostConfig, 'Memory' | 'MemorySwap' | 'NanoCpus' | 'PidsLimit' | 'Ulimits'> = {};
  if (limits.memoryMb !== null) {
    out.Memory = Math.max(1, Math.round(limits.memoryMb * MB));
    out.MemorySwap = out.Memory; // memory + swap = memory: no swap
  }
  if (limits.cpuPercent !== null) out.NanoCpus = Math.max(1, Math.round((limits.cpuPercent / 100) * 1e9));
  if (limits.maxProcesses !== null) out.PidsLimit = Math.max(1, Math.floor(limits.maxProcesses));
  const ulimits: { Name: string; Soft: number; Hard: number }[] = [];
  if (limits.maxOpenFiles !== null) {
    const n = Math.max(8, Math.floor(limits.maxOpenFiles));
    ulimits.push({ Name: 'nofile', Soft: n, Hard: n });
  }
  if (limits.maxFileSizeMb !== null) {
    const bytes = Math.max(1, Math.round(limits.maxFileSizeMb * MB));
    ulimits.push({ Name: 'fsize', Soft: bytes, Hard: bytes });
  }
  if (ulimits.length > 0) out.Ulimits = ulimits;
  return out;
}

/**
 * The bind list: workspace and writable paths read-write, then exposed and read-only paths
 * read-only (a path named both ways is bound read-only only), then hidden files covered by
 * /dev/null. Every bind sits at its host path. The engine mounts shallower targets first, so a
 * read-only path inside the workspace wins over it.
 */
function binds(spec: SpawnSpec, options: DockerContainerOptions, cwd: string): { binds: string[]; targets: string[] } {
  const ro = [
    ...(options.exposedPaths ?? []).map((p) => absolute(p, 'exposed path')),
    ...(spec.readOnlyPaths ?? []).map((p) => absolute(p, 'read-only path')),
  ];
  const rw = [cwd, ...(spec.writablePaths ?? []).map((p) => absolute(p, 'writable path'))].filter((p) => !ro.includes(p));
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (p: string, mode: 'rw' | 'ro', source = p): void => {
    if (seen.has(p)) return;
    seen.add(p);
    out.push(`${source}:${p}:${mode}`);
  };
  for (const p of rw) add(p, 'rw');
  for (const p of ro) add(p, 'ro');
  const targets = [...seen];
  for (const h of options.hiddenPaths ?? []) {
    const p = absolute(h.path, 'hidden path');
    if (!h.directory && targets.some((t) => isWithinPath(p, t) && p !== t)) add(p, 'ro', '/dev/null');
  }
  return { binds: out, targets };
}

/** Empty tmpfs mounts: /tmp, a private HOME, and hidden directories that lie inside a bind. */
function tmpfs(spec: SpawnSpec, options: DockerContainerOptions, targets: readonly string[], uid: number, gid: number): Record<string, string> {
  const out: Record<string, string> = { '/tmp': 'rw,nosuid,nodev,mode=1777' };
  const homeRaw = spec.env.HOME;
  if (homeRaw !== undefined && homeRaw.startsWith('/')) {
    const home = absolute(homeRaw, 'HOME');
    if (home !== '/' && home !== '/tmp' && !targets.some((t) => isWithinPath(home, t))) {
      out[home] = `rw,nosuid,nodev,mode=0700,uid=${uid},gid=${gid}`;
    }
  }
  for (const h of options.hiddenPaths ?? []) {
    const p = absolute(h.path, 'hidden path');
    if (h.directory && targets.some((t) => isWithinPath(p, t) && p !== t) && !(p in out)) {
      out[p] = 'ro,nosuid,nodev,noexec,mode=0555';
    }
  }
  return out;
}

/**
 * The container for one sleeve. The command runs under the engine's init (which forwards
 * signals and reaps orphans; when the command ends, the container's pid namespace ends with
 * everything left in it) through `env -i`, so that it sees exactly `spec.env`: without it the
 * engine would add the image's variables and HOSTNAME. No shell is involved.
 */
export function dockerContainerSpec(spec: SpawnSpec, options: DockerContainerOptions): ContainerCreateOptions {
  const uid = options.uid ?? DEFAULT_SLEEVE_UID;
  const gid = options.gid ?? DEFAULT_SLEEVE_GID;
  if (uid === 0 || gid === 0) refuse('docker runtime: sleeves never run as root (uid/gid 0)', { uid, gid });
  if (spec.command === '' || spec.command.includes('=')) {
    refuse(`docker runtime: cannot start '${spec.command}': a command name may not be empty or contain '='`, { command: spec.command });
  }
  const sandbox = spec.sandbox ?? DEFAULT_SANDBOX;
  const networkMode = dockerNetworkMode(sandbox.network.mode);
  const cwd = absolute(spec.cwd, 'working directory');
  const mounts = binds(spec, options, cwd);
  const env = Object.entries(spec.env).map(([k, v]) => {
    if (k === '' || k.includes('=') || k.includes('\0') || v.includes('\0')) {
      refuse(`docker runtime: invalid environment variable name '${k}'`, { name: k });
    }
    return `${k}=${v}`;
  });
  const withStdin = spec.stdin !== undefined;
  return {
    name: options.sleeveId,
    Image: options.image,
    Hostname: 'sleeve',
    User: `${uid}:${gid}`,
    Entrypoint: [options.envCommand ?? DEFAULT_ENV_COMMAND, '-i', '--', ...env, spec.command, ...spec.args],
    Cmd: [],
    Env: [],
    WorkingDir: cwd,
    Labels: { [SLEEVE_LABEL]: options.sleeveId },
    Tty: false,
    AttachStdin: withStdin,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: withStdin,
    StdinOnce: withStdin,
    HostConfig: {
      Init: true,
      AutoRemove: false,
      NetworkMode: networkMode,
      Binds: mounts.binds,
      Tmpfs: tmpfs(spec, options, mounts.targets, uid, gid),
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      IpcMode: 'private',
      // Output goes to the attached client only; nothing is kept on the engine's disk.
      LogConfig: { Type: 'none', Config: {} },
      ...dockerLimits(sandbox.limits),
    },
  };
}
