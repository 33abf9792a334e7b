import Docker from 'dockerode';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCorticalError } from '../../../core/errors.js';
import type { Runtime } from '../../../core/ports/runtime.js';
import { describeRuntimeContract } from '../runtime.contract.js';
import { FakeDockerEngine } from './docker-fake-engine.js';
import { DEFAULT_DOCKER_IMAGE, DockerRuntime } from './docker-runtime.js';

/** Where the image has Node.js (the contract starts the fixtures with the host's Node binary). */
const NODE_IN_IMAGE = '/usr/local/bin/node';
const image = process.env.CORTICAL_TEST_DOCKER_IMAGE ?? DEFAULT_DOCKER_IMAGE;
// A real ping of $DOCKER_HOST or the default socket.
const available = await DockerRuntime.available();

/** The contract's specs name this process's Node binary; inside the image Node lives elsewhere. */
function withImageNode(runtime: Runtime): Runtime {
  return {
    name: runtime.name,
    sandboxed: runtime.sandboxed,
    enforcement: runtime.enforcement,
    spawn: (spec) => runtime.spawn(spec.command === process.execPath ? { ...spec, command: NODE_IN_IMAGE } : spec),
  };
}

if (available) {
  describeRuntimeContract('docker', () => withImageNode(new DockerRuntime({ image, docker: new Docker() })), { pidNamespace: true });
} else {
  describe('Runtime contract: docker', () => {
    it.skip('skipped: no Docker engine', () => undefined);
  });
}

// The same contract through a stand-in engine (real processes, no isolation): checks the
// runtime's use of the engine API (attach, frames, stdin, wait, kill, pause, removal).
const fakeDir = mkdtempSync(join(tmpdir(), 'cortical-docker-fake-'));
const fake = await FakeDockerEngine.start(join(fakeDir, 'engine.sock'));
afterAll(async () => {
  await fake.close();
  rmSync(fakeDir, { recursive: true, force: true });
});
const onFake = (): DockerRuntime => new DockerRuntime({ image, socketPath: fake.socketPath });
describeRuntimeContract('docker (fake engine)', onFake, { pidNamespace: true });

describe('DockerRuntime on the fake engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cortical-docker-ws-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };

  it('is available', async () => {
    expect(await DockerRuntime.available(fake.socketPath)).toBe(true);
  });

  it('creates a hardened, labelled container and removes it after the exit', async () => {
    const sleeve = await onFake().spawn({ command: process.execPath, args: ['-e', 'console.log("hi")'], cwd: dir, env });
    const lines: string[] = [];
    for await (const l of sleeve.lines) lines.push(l.text);
    expect(await sleeve.exited).toEqual({ exitCode: 0, signal: null, endedBy: 'exit' });
    expect(lines).toEqual(['hi']);
    const config = fake.created.at(-1) as { Labels: Record<string, string>; User: string; HostConfig: Record<string, unknown> };
    const id = config.Labels['cortical.sleeve'];
    expect(id).toMatch(/^cortical-sleeve-/);
    expect(config.User).not.toMatch(/^0:/);
    expect(config.HostConfig).toMatchObject({ ReadonlyRootfs: true, CapDrop: ['ALL'], NetworkMode: 'none', Init: true });
    expect([...fake.containers.values()].some((c) => (c.config.Labels as Record<string, string>)['cortical.sleeve'] === id)).toBe(false);
  });

  it('rejects a command the image lacks with UNAVAILABLE and leaves no container behind', async () => {
    const before = fake.containers.size;
    const err: unknown = await onFake()
      .spawn({ command: 'no-such-command-cortical', args: [], cwd: dir, env: { PATH: '/usr/bin:/bin' } })
      .catch((e: unknown) => e);
    expect(isCorticalError(err) && err.code).toBe('UNAVAILABLE');
    expect((err as Error).message).toMatch(/not found in image .*PATH \/usr\/bin:\/bin/);
    expect(fake.containers.size).toBe(before);
    expect(fake.requests.some((r) => r.path.endsWith('/start'))).toBe(true); // from earlier tests only
  });

  it('pauses and unpauses through the engine, and stops a paused container', async () => {
    const sleeve = await onFake().spawn({ command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], cwd: dir, env });
    const reading = (async () => {
      for await (const _ of sleeve.lines) void _;
    })();
    sleeve.suspend();
    sleeve.resume();
    sleeve.suspend();
    const exit = await sleeve.stop(2000);
    await reading;
    expect(exit).toEqual({ exitCode: null, signal: 'SIGTERM', endedBy: 'stopped' });
    const tail = fake.requests.map((r) => `${r.method} ${r.path.split('/').pop()}`);
    const start = tail.lastIndexOf('POST start');
    expect(tail.slice(start).filter((t) => /pause|kill/.test(t))).toEqual(['POST pause', 'POST unpause', 'POST pause', 'POST unpause', 'POST kill']);
  });
});

describe('DockerRuntime without an engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cortical-docker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const missingSocket = join(dir, 'no-such-docker.sock');

  it('is not available when the socket does not exist', async () => {
    expect(await DockerRuntime.available(missingSocket)).toBe(false);
    expect(await DockerRuntime.available(new Docker({ socketPath: missingSocket }))).toBe(false);
  });

  it('rejects spawn with UNAVAILABLE and says which engine did not answer', async () => {
    const runtime = new DockerRuntime({ socketPath: missingSocket, image });
    const err: unknown = await runtime
      .spawn({ command: 'node', args: ['-e', '1'], cwd: dir, env: { PATH: '/usr/bin:/bin' } })
      .catch((e: unknown) => e);
    expect(isCorticalError(err) && err.code).toBe('UNAVAILABLE');
    expect((err as Error).message).toContain(`no Docker engine answers at ${missingSocket}`);
    expect((err as Error).message).toMatch(/ENOENT/);
  });

  it('refuses allowlist networking before contacting the engine', async () => {
    const runtime = new DockerRuntime({ socketPath: missingSocket, image });
    const err: unknown = await runtime
      .spawn({
        command: 'node',
        args: [],
        cwd: dir,
        env: {},
        sandbox: {
          network: { mode: 'allowlist', allow: ['example.com'] },
          limits: { memoryMb: null, cpuPercent: null, maxProcesses: null, maxFileSizeMb: null, maxOpenFiles: null, diskQuotaMb: null },
        },
      })
      .catch((e: unknown) => e);
    expect(isCorticalError(err) && err.code).toBe('UNAVAILABLE');
    expect((err as Error).message).toBe('docker runtime supports network none|open; use bubblewrap for allowlist');
  });

  it('rejects a missing working directory', async () => {
    const runtime = new DockerRuntime({ socketPath: missingSocket, image });
    const err: unknown = await runtime.spawn({ command: 'node', args: [], cwd: join(dir, 'gone'), env: {} }).catch((e: unknown) => e);
    expect(isCorticalError(err) && err.code).toBe('UNAVAILABLE');
    expect((err as Error).message).toMatch(/working directory .* does not exist/);
  });

  it('describes how it enforces limits', () => {
    const runtime = new DockerRuntime({ socketPath: missingSocket, image });
    expect(runtime.name).toBe('docker');
    expect(runtime.sandboxed).toBe(true);
    expect(runtime.enforcement).toMatchObject({ memoryMb: 'docker-cgroup', diskQuotaMb: 'none', network: 'namespace' });
  });
});
