import { describe, expect, it } from 'vitest';
import { isCorticalError } from '../../../core/errors.js';
import type { SpawnSpec } from '../../../core/ports/runtime.js';
import { DEFAULT_SLEEVE_LIMITS, type SandboxSpec, type SleeveLimits } from '../../../core/sandbox.js';
import { dockerContainerSpec, dockerLimits, isWithinPath, SLEEVE_LABEL, type DockerContainerOptions } from './docker-container-spec.js';

const MB = 1024 * 1024;
const UNLIMITED: SleeveLimits = {
  memoryMb: null,
  cpuPercent: null,
  maxProcesses: null,
  maxFileSizeMb: null,
  maxOpenFiles: null,
  diskQuotaMb: null,
};

const base: SpawnSpec = {
  command: 'node',
  args: ['agent.mjs', '--flag', 'a b; rm -rf /'],
  cwd: '/srv/node/ws/task-1',
  env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/srv/node/home', TOKEN: 'x=y' },
};
const opts: DockerContainerOptions = { image: 'node:20-bookworm-slim', sleeveId: 'sleeve-1' };

function sandbox(network: SandboxSpec['network']['mode'], limits: Partial<SleeveLimits> = {}): SandboxSpec {
  return { network: { mode: network, allow: [] }, limits: { ...DEFAULT_SLEEVE_LIMITS, ...limits } };
}

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('dockerContainerSpec', () => {
  it('runs the command and its arguments through env -i, without a shell, with exactly the given environment', () => {
    const c = dockerContainerSpec(base, opts);
    expect(c.Image).toBe('node:20-bookworm-slim');
    expect(c.Entrypoint).toEqual([
      '/usr/bin/env',
      '-i',
      '--',
      'PATH=/usr/local/bin:/usr/bin:/bin',
      'HOME=/srv/node/home',
      'TOKEN=x=y',
      'node',
      'agent.mjs',
      '--flag',
      'a b; rm -rf /',
    ]);
    expect(c.Cmd).toEqual([]); // never the image's default command
    expect(c.Env).toEqual([]);
    expect(c.WorkingDir).toBe('/srv/node/ws/task-1');
    expect(c.Tty).toBe(false);
    expect(c.Labels).toEqual({ [SLEEVE_LABEL]: 'sleeve-1' });
    expect(c.name).toBe('sleeve-1');
  });

  it('uses another env binary when told', () => {
    expect(dockerContainerSpec(base, { ...opts, envCommand: '/bin/env' }).Entrypoint?.[0]).toBe('/bin/env');
  });

  it('opens stdin only when there is stdin to write', () => {
    const without = dockerContainerSpec(base, opts);
    expect([without.OpenStdin, without.StdinOnce, without.AttachStdin]).toEqual([false, false, false]);
    const withStdin = dockerContainerSpec({ ...base, stdin: '' }, opts);
    expect([withStdin.OpenStdin, withStdin.StdinOnce, withStdin.AttachStdin]).toEqual([true, true, true]);
  });

  it('runs as a non-root user, 1000:1000 by default', () => {
    expect(dockerContainerSpec(base, opts).User).toBe('1000:1000');
    expect(dockerContainerSpec(base, { ...opts, uid: 65534, gid: 65534 }).User).toBe('65534:65534');
    const e = errorOf(() => dockerContainerSpec(base, { ...opts, uid: 0 }));
    expect(isCorticalError(e) && e.code).toBe('UNAVAILABLE');
    expect(isCorticalError(e) && e.message).toMatch(/never run as root/);
  });

  it('hardens the container: read-only root, private /tmp, no capabilities, no new privileges, init, kept after exit', () => {
    const h = dockerContainerSpec(base, opts).HostConfig!;
    expect(h.ReadonlyRootfs).toBe(true);
    expect(h.Tmpfs?.['/tmp']).toMatch(/^rw,nosuid,nodev,mode=1777/);
    expect(h.CapDrop).toEqual(['ALL']);
    expect(h.SecurityOpt).toEqual(['no-new-privileges']);
    expect(h.Init).toBe(true);
    expect(h.AutoRemove).toBe(false);
    expect(h.IpcMode).toBe('private');
    expect(h.LogConfig?.Type).toBe('none');
  });

  it('binds the workspace and writable paths rw, then read-only and exposed paths ro, each at its host path', () => {
    const c = dockerContainerSpec(
      {
        ...base,
        writablePaths: ['/srv/repo/.git'],
        readOnlyPaths: ['/srv/repo/.git/hooks', '/srv/node/ws/task-1/.claude/settings.json'],
      },
      { ...opts, exposedPaths: ['/opt/cortical'] },
    );
    expect(c.HostConfig?.Binds).toEqual([
      '/srv/node/ws/task-1:/srv/node/ws/task-1:rw',
      '/srv/repo/.git:/srv/repo/.git:rw',
      '/opt/cortical:/opt/cortical:ro',
      '/srv/repo/.git/hooks:/srv/repo/.git/hooks:ro',
      '/srv/node/ws/task-1/.claude/settings.json:/srv/node/ws/task-1/.claude/settings.json:ro',
    ]);
  });

  it('binds a path named both writable and read-only only read-only, and each path once', () => {
    const c = dockerContainerSpec(
      { ...base, cwd: '/w/t/', writablePaths: ['/g', '/g/', '/w/t'], readOnlyPaths: ['/g', '/g'] },
      opts,
    );
    expect(c.HostConfig?.Binds).toEqual(['/w/t:/w/t:rw', '/g:/g:ro']);
    expect(c.WorkingDir).toBe('/w/t');
  });

  it('refuses relative paths and paths with a colon (the bind syntax cannot express them)', () => {
    for (const spec of [
      { ...base, cwd: 'relative/ws' },
      { ...base, writablePaths: ['/a:b'] },
      { ...base, readOnlyPaths: ['x'] },
    ]) {
      const e = errorOf(() => dockerContainerSpec(spec, opts));
      expect(isCorticalError(e) && e.code).toBe('UNAVAILABLE');
    }
  });

  it('gives the sleeve a private tmpfs HOME owned by its user, unless HOME lies in a bind', () => {
    const c = dockerContainerSpec(base, { ...opts, uid: 1234, gid: 4321 });
    expect(c.HostConfig?.Tmpfs?.['/srv/node/home']).toBe('rw,nosuid,nodev,mode=0700,uid=1234,gid=4321');
    const inWorkspace = dockerContainerSpec({ ...base, env: { ...base.env, HOME: '/srv/node/ws/task-1' } }, opts);
    expect(Object.keys(inWorkspace.HostConfig?.Tmpfs ?? {})).toEqual(['/tmp']);
    const noHome = dockerContainerSpec({ ...base, env: { PATH: '/bin' } }, opts);
    expect(Object.keys(noHome.HostConfig?.Tmpfs ?? {})).toEqual(['/tmp']);
    const rootHome = dockerContainerSpec({ ...base, env: { HOME: '/' } }, opts);
    expect(Object.keys(rootHome.HostConfig?.Tmpfs ?? {})).toEqual(['/tmp']);
  });

  it('covers hidden paths that lie inside a bind (directories by an empty read-only tmpfs, files by /dev/null)', () => {
    const c = dockerContainerSpec(base, {
      ...opts,
      exposedPaths: ['/opt/cortical'],
      hiddenPaths: [
        { path: '/srv/node', directory: true }, // holds the workspace: nothing to cover (only the workspace is bound)
        { path: '/opt/cortical/.env', directory: false },
        { path: '/opt/cortical/data', directory: true },
        { path: '/elsewhere', directory: true },
      ],
    });
    expect(c.HostConfig?.Tmpfs).toEqual({
      '/tmp': 'rw,nosuid,nodev,mode=1777',
      '/srv/node/home': 'rw,nosuid,nodev,mode=0700,uid=1000,gid=1000',
      '/opt/cortical/data': 'ro,nosuid,nodev,noexec,mode=0555',
    });
    expect(c.HostConfig?.Binds).toContain('/dev/null:/opt/cortical/.env:ro');
    expect(c.HostConfig?.Binds?.some((b) => b.includes('/elsewhere') || b.startsWith('/srv/node:'))).toBe(false);
  });

  it('maps network none to no network and open to the default bridge', () => {
    expect(dockerContainerSpec(base, opts).HostConfig?.NetworkMode).toBe('none'); // default sandbox
    expect(dockerContainerSpec({ ...base, sandbox: sandbox('none') }, opts).HostConfig?.NetworkMode).toBe('none');
    expect(dockerContainerSpec({ ...base, sandbox: sandbox('open') }, opts).HostConfig?.NetworkMode).toBe('bridge');
  });

  it('refuses allowlist clearly', () => {
    const e = errorOf(() => dockerContainerSpec({ ...base, sandbox: sandbox('allowlist') }, opts));
    expect(isCorticalError(e) && e.code).toBe('UNAVAILABLE');
    expect((e as Error).message).toBe('docker runtime supports network none|open; use bubblewrap for allowlist');
  });

  it('refuses a command name with = (env would read it as a variable) and bad variable names', () => {
    expect(isCorticalError(errorOf(() => dockerContainerSpec({ ...base, command: 'A=b' }, opts)))).toBe(true);
    expect(isCorticalError(errorOf(() => dockerContainerSpec({ ...base, env: { 'A=B': 'x' } }, opts)))).toBe(true);
  });
});

describe('dockerLimits', () => {
  it('maps every limit', () => {
    expect(
      dockerLimits({ memoryMb: 512, cpuPercent: 150, maxProcesses: 64, maxFileSizeMb: 100, maxOpenFiles: 256, diskQuotaMb: 2048 }),
    ).toEqual({
      Memory: 512 * MB,
      MemorySwap: 512 * MB,
      NanoCpus: 1_500_000_000,
      PidsLimit: 64,
      Ulimits: [
        { Name: 'nofile', Soft: 256, Hard: 256 },
        { Name: 'fsize', Soft: 100 * MB, Hard: 100 * MB },
      ],
    });
  });

  it('leaves unlimited (null) limits out, so the engine applies none', () => {
    expect(dockerLimits(UNLIMITED)).toEqual({});
    const h = dockerContainerSpec({ ...base, sandbox: { network: { mode: 'none', allow: [] }, limits: UNLIMITED } }, opts).HostConfig!;
    for (const k of ['Memory', 'MemorySwap', 'NanoCpus', 'PidsLimit', 'Ulimits'] as const) expect(h[k]).toBeUndefined();
  });

  it('maps each limit on its own and rounds to what the engine accepts', () => {
    expect(dockerLimits({ ...UNLIMITED, memoryMb: 0.5 })).toEqual({ Memory: 0.5 * MB, MemorySwap: 0.5 * MB });
    expect(dockerLimits({ ...UNLIMITED, cpuPercent: 25 })).toEqual({ NanoCpus: 250_000_000 });
    expect(dockerLimits({ ...UNLIMITED, maxProcesses: 10.7 })).toEqual({ PidsLimit: 10 });
    expect(dockerLimits({ ...UNLIMITED, maxOpenFiles: 3 })).toEqual({ Ulimits: [{ Name: 'nofile', Soft: 8, Hard: 8 }] });
    expect(dockerLimits({ ...UNLIMITED, maxFileSizeMb: 1 })).toEqual({ Ulimits: [{ Name: 'fsize', Soft: MB, Hard: MB }] });
    expect(dockerLimits({ ...UNLIMITED, diskQuotaMb: 10 })).toEqual({}); // not enforceable by the engine
  });

  it('uses the default limits when the spec has no sandbox', () => {
    const h = dockerContainerSpec(base, opts).HostConfig!;
    expect(h.Memory).toBe(4096 * MB);
    expect(h.PidsLimit).toBe(1024);
    expect(h.NanoCpus).toBeUndefined();
  });
});

describe('isWithinPath', () => {
  it('compares whole path components', () => {
    expect(isWithinPath('/a/b', '/a')).toBe(true);
    expect(isWithinPath('/a', '/a/')).toBe(true);
    expect(isWithinPath('/ab', '/a')).toBe(false);
    expect(isWithinPath('/a/../b', '/a')).toBe(false);
    expect(isWithinPath('/x', '/')).toBe(true);
  });
});
