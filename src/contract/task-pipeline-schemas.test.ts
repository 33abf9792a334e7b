import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { branchNameProblem, MAX_PIPELINE_CHECKS, TaskCreateRequest, TaskSpecSchema } from './task-schemas.js';

const repo = { path: '/srv/repo' };
const messages = (input: unknown): string[] => {
  const r = TaskCreateRequest.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('task pipeline in the create request', () => {
  it('accepts a target branch and checks, defaulting checks to none', () => {
    const parsed = TaskCreateRequest.parse({ prompt: 'p', repo, pipeline: { targetBranch: 'release/2.x', checks: [{ name: 'unit', command: 'npm test', timeoutMs: 60_000 }] } });
    expect(parsed.pipeline).toEqual({ targetBranch: 'release/2.x', checks: [{ name: 'unit', command: 'npm test', timeoutMs: 60_000 }] });
    expect(TaskCreateRequest.parse({ prompt: 'p', repo, pipeline: { targetBranch: 'main' } }).pipeline).toEqual({ targetBranch: 'main', checks: [] });
    expect(TaskCreateRequest.parse({ prompt: 'p' }).pipeline).toBeUndefined();
  });

  it('needs a repository', () => {
    expect(messages({ prompt: 'p', pipeline: { targetBranch: 'main' } })).toEqual([expect.stringContaining('pipeline: pipeline needs repo')]);
  });

  it('refuses branch names git would refuse, refs/… and task branches, saying why', () => {
    const bad: [string, string][] = [
      ['', '1 to 255'],
      ['a b', 'no spaces'],
      ['a..b', '..'],
      ['-main', 'does not start with -'],
      ['main/', 'end with /'],
      ['main.', 'end with /'],
      ['feat/x.lock', '.lock'],
      ['feat/.hidden', 'starts with .'],
      ['a@{1}', '@{'],
      ['a~1', '~'],
      ['refs/heads/main', 'without refs/heads/'],
      ['cortical/task-1', 'task branches'],
    ];
    for (const [name, why] of bad) {
      const m = messages({ prompt: 'p', repo, pipeline: { targetBranch: name } });
      expect(m, name).toHaveLength(1);
      expect(m[0], name).toContain('pipeline.targetBranch');
      expect(m[0], name).toContain(why);
    }
  });

  it('takes at most 50 checks with unique names', () => {
    const checks = (n: number) => Array.from({ length: n }, (_v, i) => ({ name: `c${i}`, command: 'true' }));
    expect(messages({ prompt: 'p', repo, pipeline: { targetBranch: 'main', checks: checks(MAX_PIPELINE_CHECKS) } })).toEqual([]);
    expect(messages({ prompt: 'p', repo, pipeline: { targetBranch: 'main', checks: checks(MAX_PIPELINE_CHECKS + 1) } })).toEqual([
      expect.stringContaining('at most 50 pipeline checks'),
    ]);
    expect(messages({ prompt: 'p', repo, pipeline: { targetBranch: 'main', checks: [{ name: 'a', command: 'x' }, { name: 'a', command: 'y' }] } })).toEqual([
      expect.stringContaining("check name 'a' is used twice"),
    ]);
    expect(messages({ prompt: 'p', repo, pipeline: { targetBranch: 'main', checks: [{ name: 'a', command: '' }] } })).toEqual([expect.stringContaining('must not be empty')]);
    expect(messages({ prompt: 'p', repo, pipeline: { targetBranch: 'main', checks: [{ name: 'a', command: 'x', extra: 1 }] } })).toHaveLength(1);
  });

  it('keeps the pipeline in the task DTO spec', () => {
    const spec = TaskSpecSchema.parse({
      prompt: 'p', agent: 'shell', mode: 'once', requires: [], repo: { path: '/r', baseRef: null }, until: null,
      guardrails: { maxIterations: 1, timeoutMs: null, iterationTimeoutMs: null, budgetTokens: null, budgetUsd: null, stuckAfterIterations: null },
      priority: 0, maxAttempts: 3, retryBackoffMs: 0, labels: {},
      pipeline: { targetBranch: 'main', checks: [{ name: 'until', command: 'npm test' }] },
    });
    expect(spec.pipeline).toEqual({ targetBranch: 'main', checks: [{ name: 'until', command: 'npm test' }] });
  });

  it('every branch name it accepts is one git accepts (property)', () => {
    const chars = fc.constantFrom(...'abcXYZ019-_./@{}~^:?*[\\ .lock'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { minLength: 1, maxLength: 12 }).map((a) => a.join('')), (name) => {
        if (branchNameProblem(name) !== null) return;
        // git check-ref-format exits nonzero for a name it refuses.
        execFileSync('git', ['check-ref-format', `refs/heads/${name}`], { stdio: 'ignore' });
      }),
      { numRuns: 150 },
    );
  });
});
