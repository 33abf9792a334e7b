import { existsSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { NetworkMode } from '../../../core/sandbox.js';

/** Where the egress grant's socket appears inside an `allowlist` sleeve. */
export const EGRESS_SOCKET_IN_SLEEVE = '/run/cortical/egress.sock';
/** The port the in-sleeve forwarder listens on (loopback of the sleeve's own network). */
export const EGRESS_PROXY_PORT = 3128;
/** Places always hidden behind an empty tmpfs. */
export const ALWAYS_HIDDEN = ['/root', '/home'] as const;

/** A bind of `slot` (host) at `path` (inside): the warm pool's anchor slots. */
export interface AnchorBind {
  readonly slot: string;
  readonly path: string;
}

export interface BwrapPlan {
  /** The workspace, bound read-write at its own path and made the working directory; null: none. */
  readonly cwd: string | null;
  /** Read-write binds of other host directories at these paths (the warm pool's slots). */
  readonly anchors?: readonly AnchorBind[] | undefined;
  readonly home: string | undefined;
  readonly network: NetworkMode;
  readonly uid: number;
  readonly gid: number;
  readonly hiddenPaths: readonly string[];
  readonly writablePaths: readonly string[];
  readonly readOnlyPaths: readonly string[];
  /** Host path of the egress grant's socket (`allowlist`). */
  readonly egressSocket?: string | undefined;
  /**
   * Read-only paths that must stay visible even under /tmp or a hidden place: the node's own
   * installation (agent programs, the egress forwarder). Hidden paths inside them stay hidden.
   */
  readonly exposedPaths?: readonly string[] | undefined;
  /** File descriptor bwrap reports the sandbox's pid and exit code on. */
  readonly statusFd?: number | undefined;
  /** File descriptor bwrap waits on (after building the sandbox) before it runs the command. */
  readonly blockFd?: number | undefined;
}

/** `a` is `b` or lies below it. */
export function isWithin(a: string, b: string): boolean {
  const ra = resolve(a);
  const rb = resolve(b);
  return ra === rb || ra.startsWith(rb.endsWith(sep) ? rb : rb + sep);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Hides `path`: an empty tmpfs over a directory, /dev/null over a file, nothing if absent. */
function hide(path: string): string[] {
  if (!existsSync(path)) return [];
  return isDirectory(path) ? ['--tmpfs', path] : ['--ro-bind', '/dev/null', path];
}

/**
 * The bubblewrap arguments (up to, not including, the command) for one sleeve. Order matters:
 * later mounts cover earlier ones, so it goes: the whole system read-only; fresh /dev, /proc,
 * /tmp; the hidden places (which may contain the workspace); a tmpfs HOME; the workspace and the
 * writable paths read-write (re-exposing them under a hidden parent); hidden paths that lie
 * inside those binds; the hidden tmpfs remounted read-only; the read-only paths last so they win
 * over a writable parent.
 */
export function bwrapArgs(plan: BwrapPlan): string[] {
  const cwd = plan.cwd === null ? null : resolve(plan.cwd);
  const pairs = [
    ...[...(cwd === null ? [] : [cwd]), ...plan.writablePaths.map((p) => resolve(p))].map((p) => ({ slot: p, path: p })),
    ...(plan.anchors ?? []).map((a) => ({ slot: resolve(a.slot), path: resolve(a.path) })),
  ];
  const binds = pairs.map((b) => b.path);
  const wanted = [...new Set([...ALWAYS_HIDDEN, ...plan.hiddenPaths.map((p) => resolve(p))])];
  // A hidden place inside another one is already hidden by the outer tmpfs (a node's work dir
  // inside HQ's data dir), unless a bind re-exposes a parent of it: then it is hidden again
  // after that bind. Mounting both would make bwrap remount a path that does not exist as a
  // mount in the new root (EINVAL).
  const reExposed = [...binds, ...(plan.exposedPaths ?? []).map((p) => resolve(p))];
  const hidden = wanted.filter(
    (h) => !wanted.some((outer) => outer !== h && isWithin(h, outer)) || reExposed.some((b) => isWithin(h, b) && h !== b),
  );
  const covered = ['/tmp', ...hidden];
  const exposed = (plan.exposedPaths ?? [])
    .map((p) => resolve(p))
    .filter((p) => existsSync(p) && covered.some((c) => isWithin(p, c)));
  const hiddenInsideBinds = hidden.filter((h) => [...binds, ...exposed].some((b) => isWithin(h, b) && h !== b));
  const hiddenOutside = hidden.filter((h) => !hiddenInsideBinds.includes(h));

  const args = [
    '--die-with-parent',
    '--new-session',
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(plan.network === 'open' ? [] : ['--unshare-net']),
    '--uid',
    String(plan.uid),
    '--gid',
    String(plan.gid),
    '--hostname',
    'sleeve',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
  ];
  if (plan.network === 'allowlist') args.push('--tmpfs', '/run');
  for (const h of hiddenOutside) args.push(...hide(h));

  const home = plan.home === undefined ? undefined : resolve(plan.home);
  if (home !== undefined && home !== '/' && !binds.some((b) => isWithin(home, b))) {
    const creatable = existsSync(home) || ['/tmp', ...hiddenOutside].some((h) => isWithin(home, h) && home !== h);
    if (creatable) args.push('--tmpfs', home);
  }

  for (const e of exposed) args.push('--ro-bind', e, e);
  for (const b of pairs) args.push('--bind', b.slot, b.path);
  for (const h of hiddenInsideBinds) args.push(...hide(h));
  // Hidden places stay empty and read-only (the tmpfs was writable only to make mount points).
  // (Not where a bind or HOME sits on the very same path: that mount would be remounted instead.)
  for (const h of hidden) {
    if (isDirectory(h) && !binds.includes(h) && h !== home) args.push('--remount-ro', h);
  }
  for (const p of plan.readOnlyPaths) args.push('--ro-bind-try', resolve(p), resolve(p));
  if (plan.network === 'allowlist' && plan.egressSocket !== undefined) {
    args.push('--bind', plan.egressSocket, EGRESS_SOCKET_IN_SLEEVE);
  }
  if (plan.statusFd !== undefined) args.push('--json-status-fd', String(plan.statusFd));
  if (plan.blockFd !== undefined) args.push('--block-fd', String(plan.blockFd));
  if (cwd !== null) args.push('--chdir', cwd);
  return args;
}

/**
 * Shell that waits (up to about 2 s) until something listens on the sleeve's loopback `port`,
 * read from /proc/net/tcp{,6} of the sleeve's own network namespace (state 0A = LISTEN).
 */
function waitForListener(port: number): string {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return (
    `i=0; while [ $i -lt 200 ] && ! grep -qs ':${hex} [0-9A-F:]* 0A' /proc/net/tcp /proc/net/tcp6; ` +
    'do sleep 0.01; i=$((i+1)); done'
  );
}

/**
 * The command as run inside. A first shell sets the sleeve's rlimits (`rlimits`, from
 * `ulimitScript`) and drops PWD, which bwrap always sets but the caller did not ask for; without
 * either the command runs directly. `allowlist` sleeves start the egress forwarder first (under
 * the same rlimits) and wait until it listens.
 */
export function innerCommand(
  command: string,
  args: readonly string[],
  opts: { keepPwd: boolean; rlimits?: string | undefined; forwarder?: { nodePath: string; script: string } | undefined },
): string[] {
  const unset = opts.keepPwd ? '' : 'unset PWD; ';
  const rlimits = opts.rlimits ?? '';
  if (opts.forwarder !== undefined) {
    const script =
      `${rlimits}${unset}"$0" "$1" ${EGRESS_PROXY_PORT} ${EGRESS_SOCKET_IN_SLEEVE} & shift; ` +
      `${waitForListener(EGRESS_PROXY_PORT)}; exec "$@"`;
    return ['/bin/sh', '-c', script, opts.forwarder.nodePath, opts.forwarder.script, command, ...args];
  }
  if (rlimits === '' && opts.keepPwd) return [command, ...args];
  return ['/bin/sh', '-c', `${rlimits}${unset}exec "$@"`, 'sh', command, ...args];
}
