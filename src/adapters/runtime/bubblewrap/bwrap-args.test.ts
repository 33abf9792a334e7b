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
    expect(at(args, '--ro-bind', '/dev/null', cred)).toBeGreaterThan(rootRo);
    expect(bindWs).toBeGreaterThan(hideWork);
    expect(at(args, '--remount-ro', work)).toBeGreaterThan(bindWs);
    expect(roHooks).toBeGreaterThan(bindWs);
    expect(args).toContain('--unshare-net');
    expect(args).toContain('--die-with-parent');
    expect(args).toContain('--new-session');
    expect(args.slice(-2)).toEqual(['--chdir', ws]);
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

  it('runs the command through env -u PWD, or through the forwarder wrapper', () => {
    expect(innerCommand('/usr/bin/node', ['a.js'], { keepPwd: false })).toEqual(['/usr/bin/env', '-u', 'PWD', '--', '/usr/bin/node', 'a.js']);
    const wrapped = innerCommand('/usr/bin/node', ['a.js'], { keepPwd: false, forwarder: { nodePath: '/n', script: '/f.mjs' } });
    expect(wrapped.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(wrapped.slice(3)).toEqual(['/n', '/f.mjs', '/usr/bin/node', 'a.js']);
  });
});
