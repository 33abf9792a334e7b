/**
 * The README opens with the two commands a newcomer types. This keeps them honest: they are the
 * ones CI runs (`.ci/run`) and the start command really starts a fleet that serves /healthz.
 * (`npm install` itself is not re-run here: it would replace node_modules under the running tests;
 * `.ci/run` runs it on a fresh clone.)
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, baseEnv, eventually, REPO_ROOT, tempDir } from './cortical-process.js';

async function readmeCommands(): Promise<string[]> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no sh block');
  return block[1]!
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '');
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('README commands', () => {
  it('opens with exactly two commands: install + start, install + test', async () => {
    const cmds = await readmeCommands();
    expect(cmds).toHaveLength(2);
    expect(cmds[0]).toBe('npm install && npx cortical up');
    expect(cmds[1]).toBe('npm install && npm test');
    const ci = await readFile(join(REPO_ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toContain(`\n${cmds[1]}\n`);
  });

  it('the start command starts HQ + a local node that serves /healthz', async () => {
    const [start] = await readmeCommands();
    const args = start!.replace(/^npm install && npx /, '').split(' '); // "cortical up"
    expect(args).toEqual(['cortical', 'up']);
    const home = await tempDir('readme');
    cleanups.push(() => home.remove());
    const child = spawn('npx', [...args, '--port', '0'], {
      cwd: REPO_ROOT,
      env: baseEnv({ CORTICAL_HOME: home.path }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    cleanups.push(async () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await new Promise((r) => setTimeout(r, 500));
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await eventually('the HQ URL', () => Promise.resolve(/HQ at (http:\/\/\S+)/.exec(out)?.[1]), 60_000);
    const health = await api(url, null, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
    expect(out).toMatch(/local node/);
  }, 90_000);
});
