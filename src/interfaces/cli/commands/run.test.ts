import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../program.js';
import type { ServerRunners } from '../server-runners.js';
import { fakeIo } from '../testing/fake-io.js';
import { T0, sampleTask } from '../testing/fixtures.js';
import { StandInHq } from '../testing/stand-in-hq.js';
import { pipelineChecks } from './run.js';

const TOKEN = 'tok_test.secret-secret-secret';
const noRunners: ServerRunners = {
  up: () => Promise.reject(new Error('unused')),
  hq: () => Promise.reject(new Error('unused')),
  node: () => Promise.reject(new Error('unused')),
  gc: () => Promise.reject(new Error('unused')),
};

let hq: StandInHq;
beforeEach(async () => {
  hq = await new StandInHq().start();
});
afterEach(async () => {
  await hq.stop();
});

async function cli(...argv: string[]) {
  const io = fakeIo(argv, { env: { CORTICAL_HQ: hq.url, CORTICAL_TOKEN: TOKEN }, now: () => T0 + 3000 });
  const code = await runCli(io, noRunners);
  return { code, out: io.out(), err: io.errText() };
}

describe('cortical run --promote-to', () => {
  it('sends the pipeline: the until command first, then each --check as check-N', async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    const r = await cli('run', '--repo', 'repo', '--until', 'npm test', '--promote-to', 'release/2.x', '--check', 'npm run lint', '--check', 'make e2e', '--', 'fix it');
    expect(r).toMatchObject({ code: 0, out: 'tsk_1\n' });
    const [req] = hq.calls('/api/v1/tasks', 'POST');
    expect(req?.body).toMatchObject({
      repo: { path: '/work/here/repo', baseRef: null },
      until: 'npm test',
      pipeline: {
        targetBranch: 'release/2.x',
        checks: [
          { name: 'until', command: 'npm test' },
          { name: 'check-1', command: 'npm run lint' },
          { name: 'check-2', command: 'make e2e' },
        ],
      },
    });
  });

  it('sends a pipeline without checks when only --promote-to is given', async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    const r = await cli('run', '--repo', 'repo', '--promote-to', 'main', 'fix it');
    expect(r.code).toBe(0);
    expect(hq.calls('/api/v1/tasks', 'POST')[0]?.body).toMatchObject({ pipeline: { targetBranch: 'main', checks: [] } });
  });

  it('refuses --promote-to without --repo, --check without --promote-to and bad branch names, sending nothing', async () => {
    const noRepo = await cli('run', '--promote-to', 'main', 'fix it');
    expect(noRepo.code).not.toBe(0);
    expect(noRepo.err).toContain('--promote-to needs --repo');
    const noPromote = await cli('run', '--repo', 'repo', '--check', 'true', 'fix it');
    expect(noPromote.code).not.toBe(0);
    expect(noPromote.err).toContain('--check needs --promote-to');
    const badBranch = await cli('run', '--repo', 'repo', '--promote-to', 'bad..name', 'fix it');
    expect(badBranch.code).not.toBe(0);
    expect(badBranch.err).toContain('targetBranch');
    const taskBranch = await cli('run', '--repo', 'repo', '--promote-to', 'cortical/tsk_9', 'fix it');
    expect(taskBranch.err).toContain('task branches');
    expect(hq.calls('/api/v1/tasks', 'POST')).toHaveLength(0);
  });

  it('names checks in order', () => {
    expect(pipelineChecks(undefined, ['a', 'b'])).toEqual([
      { name: 'check-1', command: 'a' },
      { name: 'check-2', command: 'b' },
    ]);
    expect(pipelineChecks('x', [])).toEqual([{ name: 'until', command: 'x' }]);
  });
});
