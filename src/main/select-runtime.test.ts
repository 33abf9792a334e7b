import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FakeDockerEngine } from '../adapters/runtime/docker/docker-fake-engine.js';
import { DockerRuntime } from '../adapters/runtime/docker/docker-runtime.js';
import { silentLogger } from '../core/ports/logger.js';
import { CliUsageError } from '../interfaces/cli/cli-errors.js';
import { selectRuntime } from './select-runtime.js';

describe('selectRuntime: docker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cortical-select-runtime-'));
  const saved = process.env.DOCKER_HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const select = (dockerImage?: string) =>
    selectRuntime({ choice: 'docker', workDir: dir, hiddenPaths: [dir], logger: silentLogger, dockerImage });

  it('fails clearly when no engine answers', async () => {
    process.env.DOCKER_HOST = `unix://${join(dir, 'missing.sock')}`;
    const err: unknown = await select().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliUsageError);
    expect((err as Error).message).toBe(
      `--runtime docker: no Docker engine answers at unix://${join(dir, 'missing.sock')}: start dockerd or set DOCKER_HOST`,
    );
  });

  it('picks the docker runtime when the engine answers', async () => {
    const engine = await FakeDockerEngine.start(join(dir, 'engine.sock'));
    try {
      process.env.DOCKER_HOST = `unix://${engine.socketPath}`;
      const selected = await select('alpine:3');
      expect(selected.runtime).toBeInstanceOf(DockerRuntime);
      expect(selected.runtime.name).toBe('docker');
      expect(selected.egress).toBeNull();
      expect(engine.requests.map((r) => r.path)).toContain('/_ping');
    } finally {
      await engine.close();
    }
  });
});

describe('withRuntimeCapabilities', () => {
  it('advertises the runtime and whether it sandboxes, replacing stale labels', async () => {
    const { withRuntimeCapabilities } = await import('./start-node.js');
    expect(withRuntimeCapabilities(['shell', 'script'], { name: 'bubblewrap', sandboxed: true })).toEqual(['shell', 'script', 'runtime-bubblewrap', 'sandboxed']);
    expect(withRuntimeCapabilities(['shell', 'sandboxed', 'runtime-docker'], { name: 'process', sandboxed: false })).toEqual(['shell', 'runtime-process', 'unsandboxed']);
  });
});
