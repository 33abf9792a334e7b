import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanSchema } from '../../contract/plan-schemas.js';
import { DEFAULT_PLANNER_DEFAULTS, planToTaskRequest, type Plan } from './plan.js';
import { planFromRules, titleOf } from './rule-planner.js';

const plan = (request: string, over: { project?: string; defaultAgent?: string | null } = {}): Plan =>
  planFromRules({ request, defaults: DEFAULT_PLANNER_DEFAULTS, ...over });

describe('rule planner: agent and model', () => {
  const cases: [string, string, string | null][] = [
    ['use codex to fix the login bug', 'codex', null],
    ['Fix the flaky test with Claude', 'claude', null],
    ['have gemini write the README', 'gemini', null],
    ['refactor the parser using opencode', 'opencode', null],
    ['aider: rename the module', 'aider', null],
    ['use the builtin agent to add a test', 'builtin', null],
    ['fix the typo with a local model', 'builtin', null],
    ['fix the typo', 'claude', null],
    ['use codex with model gpt-5 to port the module', 'codex', 'gpt-5'],
    ['rewrite the docs with sonnet', 'claude', 'sonnet'],
    ['bump deps using gpt-5-codex', 'codex', 'gpt-5-codex'],
    ['summarise the code with gemini-2.5-pro', 'gemini', 'gemini-2.5-pro'],
    ['use opencode, model qwen2.5-coder:7b, to add logging', 'opencode', 'qwen2.5-coder:7b'],
    ['update CLAUDE.md with the new commands', 'claude', null],
    ['add a local model switch to the settings page', 'builtin', null],
  ];
  it.each(cases)('%s → %s / %s', (request, agent, model) => {
    const p = plan(request);
    expect(p.agent).toBe(agent);
    expect(p.model).toBe(model);
    expect(p.explanation.some((l) => l.startsWith(`Agent ${agent}`))).toBe(true);
  });

  it("uses the HQ's default agent when the request names none", () => {
    const p = plan('add a health endpoint', { defaultAgent: 'codex' });
    expect(p.agent).toBe('codex');
    expect(p.explanation).toContain("Agent codex: the HQ's default agent (the request names none).");
    expect(p.nodeClass).toBe('any node with codex');
  });
});

describe('rule planner: requirements and node class', () => {
  const cases: [string, string[], string][] = [
    ['train the model on a gpu node with codex', ['gpu'], 'a node with gpu and codex'],
    ['benchmark the kernels, needs a GPU', ['gpu'], 'a node with gpu and claude'],
    ['run the build on node builder-7', ['builder-7'], 'a node with builder-7 and claude'],
    ['fix the compose file, needs docker', ['docker'], 'a node with docker and claude'],
    ['fix the bug', [], 'any node with claude'],
    ['translate the README on node gpu-box-1', ['gpu-box-1'], 'a node with gpu-box-1 and claude'],
    ['add tests; requires capability arm64, big-disk.', ['arm64', 'big-disk'], 'a node with arm64, big-disk and claude'],
  ];
  it.each(cases)('%s', (request, requires, nodeClass) => {
    const p = plan(request);
    expect(p.requires).toEqual(requires);
    expect(p.nodeClass).toBe(nodeClass);
  });
});

describe('rule planner: guardrails', () => {
  const cases: [string, Partial<Plan['guardrails']>][] = [
    ['fix it in at most 5 iterations', { maxIterations: 5 }],
    ['fix it, max 3 iterations', { maxIterations: 3 }],
    ['fix it with max $2', { budgetUsd: 2 }],
    ['fix it, budget 2 dollars', { budgetUsd: 2 }],
    ['fix it, spend up to $1.50', { budgetUsd: 1.5 }],
    ['fix it with a budget of 3 usd', { budgetUsd: 3 }],
    ['fix it within 50k tokens', { budgetTokens: 50_000 }],
    ['fix it, 1.5m tokens max', { budgetTokens: 1_500_000 }],
    ['fix it, 20,000 tokens', { budgetTokens: 20_000 }],
    ['work on it for 30 minutes', { timeoutMs: 1_800_000 }],
    ['fix it, timeout 1h', { timeoutMs: 3_600_000 }],
    ['fix it within an hour', { timeoutMs: 3_600_000 }],
    ['fix it for 90 s', { timeoutMs: 90_000 }],
    ['fix it', { maxIterations: 10, budgetUsd: null, budgetTokens: null, timeoutMs: null }],
    ['at most 4 iterations, max $5, 100k tokens, timeout 2h: fix the parser', { maxIterations: 4, budgetUsd: 5, budgetTokens: 100_000, timeoutMs: 7_200_000 }],
  ];
  it.each(cases)('%s', (request, expected) => {
    const p = plan(request);
    expect(p.guardrails).toMatchObject(expected);
  });

  it('defaults come from the defaults object, each explained', () => {
    const p = planFromRules({ request: 'fix it', defaults: { maxIterations: 3, budgetUsd: 1, budgetTokens: null, timeoutMs: 60_000 } });
    expect(p.guardrails).toEqual({ maxIterations: 3, budgetUsd: 1, budgetTokens: null, timeoutMs: 60_000 });
    expect(p.explanation).toEqual(expect.arrayContaining(['Iterations at most 3: the default.', 'Budget $1: the default.', 'Token budget unlimited: the default.', 'Timeout 1 min: the default.']));
  });

  it('a token budget is not a dollar budget', () => {
    expect(plan('fix it, budget 50000 tokens').guardrails).toMatchObject({ budgetUsd: null, budgetTokens: 50_000 });
  });
});

describe('rule planner: until-check and checks', () => {
  it('a quoted command becomes the until-check and a check', () => {
    const p = plan('make the login work until `npm test` passes');
    expect(p.until).toBe('npm test');
    expect(p.checks).toEqual(['`npm test` exits 0']);
    expect(planToTaskRequest(p, 'rules')).toMatchObject({ mode: 'loop', until: 'npm test' });
  });
  it.each([
    ['fix the lint errors until "npm run lint" succeeds', 'npm run lint'],
    ["port the module until 'cargo test --all' passes", 'cargo test --all'],
    ['fix it until make check passes', 'make check'],
    ['speed it up until pytest -q tests/unit passes', 'pytest -q tests/unit'],
  ])('%s → %s', (request, until) => {
    expect(plan(request).until).toBe(until);
  });

  it('"until tests pass" names no command: no until-check, explained, and "tests pass" is checked', () => {
    const p = plan('fix the parser until the tests pass');
    expect(p.until).toBeNull();
    expect(p.checks).toEqual(['tests pass']);
    expect(p.explanation.join('\n')).toMatch(/names no command/);
  });

  it('no until words: no until-check', () => {
    const p = plan('add a dark mode toggle');
    expect(p.until).toBeNull();
    expect(p.checks).toEqual([]);
  });
});

describe('rule planner: tiers', () => {
  const cases: [string, Plan['tier']][] = [
    ['explain how the scheduler places tasks', 'T0'],
    ['review the auth middleware', 'T0'],
    ['analyze the memory usage of the store', 'T0'],
    ['list the TODOs in src', 'T0'],
    ['find where tokens are hashed', 'T0'],
    ['fix the flaky scheduler test', 'T1'],
    ['review and fix the auth middleware', 'T1'],
    ['add a --verbose flag', 'T1'],
    ['install packages system-wide for the build', 'T2'],
    ['edit /etc/hosts to add the mirror', 'T2'],
    ['restart the nginx service after the change', 'T2'],
    ['apt-get install libssl-dev and build', 'T2'],
    ['set up a cron job that backs up the database', 'T2'],
    ['delete the old migrations', 'T3'],
    ['drop database staging', 'T3'],
    ['clean up with rm -rf build/', 'T3'],
    ['force push the branch', 'T3'],
    ['rotate keys for the deploy bot', 'T3'],
    ['deploy the fix to production', 'T3'],
    ['git push --force origin main', 'T3'],
  ];
  it.each(cases)('%s → %s', (request, tier) => {
    const p = plan(request);
    expect(p.tier).toBe(tier);
    expect(p.explanation.some((l) => l.startsWith(`Tier ${tier}`))).toBe(true);
  });
});

describe('rule planner: project, repo, title', () => {
  it('project from the text, or the given one (which wins)', () => {
    expect(plan('fix the header in project web').project).toBe('web');
    expect(plan('for project api-v2: add pagination').project).toBe('api-v2');
    expect(plan('fix it').project).toBe('default');
    const p = plan('fix the header in project web', { project: 'mobile' });
    expect(p.project).toBe('mobile');
    expect(p.explanation.join('\n')).toMatch(/the text names web; the given one wins/);
  });

  it('repo path', () => {
    expect(plan('fix the bug in repo /srv/git/app.').repo).toBe('/srv/git/app');
    expect(plan('in the repository ./services/api add a route').repo).toBe('./services/api');
    const p = plan('fix the bug');
    expect(p.repo).toBeNull();
    expect(planToTaskRequest(plan('fix it in repo /src/x'), 'rules').repo).toEqual({ path: '/src/x', baseRef: null });
  });

  it('title: the first sentence, at most 80 characters', () => {
    expect(titleOf('Fix the login bug. Then add a test.')).toBe('Fix the login bug.');
    expect(titleOf('  fix   the\tbug\nsecond line')).toBe('fix the bug');
    const long = titleOf('a'.repeat(200));
    expect(long).toHaveLength(80);
    expect(long.endsWith('…')).toBe(true);
    expect(titleOf('')).toBe('Untitled request');
  });
});

describe('rule planner: the task it submits', () => {
  it('maps every field', () => {
    const p = plan('use codex with model gpt-5 on a gpu node in project ml: train it until `make eval` passes, at most 3 iterations, max $4, 10k tokens, timeout 2h');
    expect(planToTaskRequest(p, 'rules')).toEqual({
      prompt: p.prompt,
      agent: 'codex',
      mode: 'loop',
      requires: ['gpu'],
      repo: null,
      until: 'make eval',
      maxIterations: 3,
      timeoutMs: 7_200_000,
      budgetTokens: 10_000,
      budgetUsd: 4,
      tier: 'T1',
      project: 'ml',
      model: 'gpt-5',
      labels: { title: p.title, planner: 'rules' },
    });
  });
  it('one iteration without an until-check is a single run', () => {
    expect(planToTaskRequest(plan('explain the code, at most 1 iteration'), 'rules').mode).toBe('once');
  });
});

describe('rule planner: properties', () => {
  it('never throws and always gives a valid Plan with an explanation', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (s) => {
        const p = plan(s);
        const parsed = PlanSchema.safeParse(p);
        if (!parsed.success) throw new Error(`${JSON.stringify(s)}: ${parsed.error.message}`);
        expect(p.explanation.length).toBeGreaterThan(5);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on phrase soup either', () => {
    const words = fc.constantFrom('use', 'codex', 'model', 'gpt-5', 'until', '`npm test`', 'passes', 'at most', '5', 'iterations', '$', '2', 'k', 'tokens', 'for', 'minutes', 'in project', 'WEB', 'repo', '/x', 'on node', 'gpu', 'delete', '.', '\n', 'requires capability', ',');
    fc.assert(
      fc.property(fc.array(words, { maxLength: 40 }), (ws) => {
        expect(PlanSchema.safeParse(plan(ws.join(' '))).success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('rule planner: long adversarial requests', () => {
  it('4000-character repetitive requests plan quickly (no catastrophic backtracking)', () => {
    const inputs = ['until npm '.repeat(400), 'until `'.repeat(570), '$'.repeat(4000), '1,'.repeat(2000), 'print the '.repeat(400), 'push '.repeat(800), 'in repo a/'.repeat(400), 'rm -'.repeat(1000), '1 k '.repeat(1000)];
    const t0 = performance.now();
    for (const s of inputs) expect(PlanSchema.safeParse(plan(s)).success).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
