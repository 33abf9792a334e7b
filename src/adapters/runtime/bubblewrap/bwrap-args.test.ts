import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bwrapArgs, EGRESS_SOCKET_IN_SLEEVE, innerCommand } from './bwrap-args.js';

/** The position of `flag value…` in args (the first occurrence whose values match). */
function at(args: string[], ...seq: string[]): number {
  for (let i = 0; i < args.length; i++) if (seq.every((s, j) => args[i + j] === s)) return i;
  return -1;
}

describe('bwrapArgs', () => {
  const root = mkdtempSync(join(tmpdir(), 'cortical-bwrap-args-'));
  const work = join(root, 'work');
  const ws = join(work, 'workspaces', 'a');
  const cred = join(work, 'node.key');
  mkdirSync(join(ws, '.git', 'hooks'), { recursive: true });
  writeFileSync(cred, 'x');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const base = {
    cwd: ws,
    home: ws,
    uid: 1000,
    gid: 1000,
    hiddenPaths: [work, cred],
    writablePaths: [],
    readOnlyPaths: [join(ws, '.git', 'hooks')],
  };

  it('hides, then re-exposes the workspace, then applies read-only paths', () => {
    const args = bwrapArgs({ ...base, network: 'none' });
    const rootRo = at(args, '--ro-bind', '/', '/');
    const hideWork = at(args, '--tmpfs', work);
    const bindWs = at(args, '--bind', ws, ws);
    const roHooks = at(args, '--ro-bind-try', join(ws, '.git', 'hooks'));
    expect(rootRo).toBeGreaterThanOrEqual(0);
    expect(at(args, '--tmpfs', '/root')).toBeGreaterThan(rootRo);
    expect(hideWork).toBeGreaterThan(rootRo);
    // the credential lies inside the hidden work dir: hidden by its tmpfs, not mounted again
    expect(at(args, '--ro-bind', '/dev/null', cred)).toBe(-1);
    expect(bindWs).toBeGreaterThan(hideWork);
    expect(at(args, '--remount-ro', work)).toBeGreaterThan(bindWs);
    expect(roHooks).toBeGreaterThan(bindWs);
    expect(args).toContain('--unshare-net');
    expect(args).toContain('--die-with-parent');
    expect(args).toContain('--new-session');
    expect(args.slice(-2)).toEqual(['--chdir', ws]);
  });

  it('hides a hidden place inside another one once (a node work dir inside the HQ data dir), again only under a bind', () => {
    const data = join(root, 'data');
    const node = join(data, 'node');
    const ws2 = join(node, 'workspaces', 'b');
    const inner = join(ws2, 'secret');
    mkdirSync(inner, { recursive: true });
    const args = bwrapArgs({ ...base, cwd: ws2, home: ws2, readOnlyPaths: [], hiddenPaths: [data, node, inner], network: 'none' });
    expect(at(args, '--tmpfs', data)).toBeGreaterThanOrEqual(0);
    expect(at(args, '--tmpfs', node)).toBe(-1);
    expect(at(args, '--remount-ro', node)).toBe(-1);
    expect(at(args, '--tmpfs', inner)).toBeGreaterThan(at(args, '--bind', ws2, ws2));
  });

  it('keeps the installation visible under /tmp (read-only), with hidden paths inside it still hidden', () => {
    const install = join(root, 'install');
    const secretInInstall = join(install, 'data');
    mkdirSync(secretInInstall, { recursive: true });
    const args = bwrapArgs({ ...base, hiddenPaths: [...base.hiddenPaths, secretInInstall], exposedPaths: [install, '/usr'], network: 'none' });
    const tmp = at(args, '--tmpfs', '/tmp');
    const expose = at(args, '--ro-bind', install, install);
    expect(expose).toBeGreaterThan(tmp);
    expect(at(args, '--tmpfs', secretInInstall)).toBeGreaterThan(expose);
    expect(at(args, '--ro-bind', '/usr', '/usr')).toBe(-1); // not covered by anything: nothing to do
  });

  it("shares the network only in 'open' mode and binds the egress socket in 'allowlist'", () => {
    expect(bwrapArgs({ ...base, network: 'open' })).not.toContain('--unshare-net');
    const args = bwrapArgs({ ...base, network: 'allowlist', egressSocket: '/x/grant.sock' });
    expect(args).toContain('--unshare-net');
    expect(at(args, '--bind', '/x/grant.sock', EGRESS_SOCKET_IN_SLEEVE)).toBeGreaterThan(at(args, '--tmpfs', '/run'));
  });

  it('gives a HOME outside the binds its own tmpfs', () => {
    const args = bwrapArgs({ ...base, home: '/home/agent', network: 'none' });
    expect(at(args, '--tmpfs', '/home/agent')).toBeGreaterThan(at(args, '--tmpfs', '/home'));
  });

  it('runs the command through a shell that sets rlimits and drops PWD, directly, or through the forwarder wrapper', () => {
    expect(innerCommand('/usr/bin/node', ['a.js'], { keepPwd: false })).toEqual(['/bin/sh', '-c', 'unset PWD; exec "$@"', 'sh', '/usr/bin/node', 'a.js']);
    expect(innerCommand('/usr/bin/node', ['a.js'], { keepPwd: true })).toEqual(['/usr/bin/node', 'a.js']);
    const limited = innerCommand('/usr/bin/node', ['a.js'], { keepPwd: true, rlimits: 'ulimit -n 64 || exit 125; ' });
    expect(limited).toEqual(['/bin/sh', '-c', 'ulimit -n 64 || exit 125; exec "$@"', 'sh', '/usr/bin/node', 'a.js']);
    const wrapped = innerCommand('/usr/bin/node', ['a.js'], { keepPwd: false, forwarder: { nodePath: '/n', script: '/f.mjs' } });
    expect(wrapped.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(wrapped.slice(3)).toEqual(['/n', '/f.mjs', '/usr/bin/node', 'a.js']);
  });

  it('binds anchor slots at their paths and waits on the block fd without a working directory', () => {
    const slot = join(root, 'pool', 'e1', '0');
    const args = bwrapArgs({ ...base, cwd: null, home: undefined, readOnlyPaths: [], network: 'none', anchors: [{ slot, path: join(work, 'workspaces') }], blockFd: 3 });
    expect(at(args, '--bind', slot, join(work, 'workspaces'))).toBeGreaterThan(at(args, '--tmpfs', work));
    expect(at(args, '--remount-ro', work)).toBeGreaterThan(at(args, '--bind', slot));
    expect(at(args, '--block-fd', '3')).toBeGreaterThan(0);
    expect(args).not.toContain('--chdir');
  });
});
