import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorticalError } from '../../core/errors.js';
import { DEFAULT_SAFETY_POLICY } from '../../core/safety-policy.js';
import { checkSafetyPolicyFile, loadSafetyPolicies, loadSafetyPolicyFile, loadSafetyPolicyText, policyForProject } from './policy-loader.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const GOOD = `# a small policy
version: 1
name: web
tools:
  - name: read_file
    tier: T0
    required_args: [path]
  - name: run_command
    tier: T1
    required_args: [command]
    denied_args: ["/\\\\bdocker\\\\b/"]
    rate_limit_per_min: 5
plan:
  max_steps: 10
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cortical-policy-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function problemsOf(fn: () => Promise<unknown>): Promise<{ message: string; problems: string[]; code: string }> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof CorticalError)) throw e;
    return { message: e.message, problems: e.details.problems as string[], code: e.code };
  }
  throw new Error('expected an error');
}

describe('loadSafetyPolicyFile', () => {
  it('loads a good file with defaults filled in', async () => {
    const p = await loadSafetyPolicyFile(await put('web.yaml', GOOD));
    expect(p.name).toBe('web');
    expect(p.tools.map((t) => t.name)).toEqual(['read_file', 'run_command']);
    expect(p.tools[1]).toMatchObject({ deniedArgs: ['/\\bdocker\\b/'], rateLimitPerMin: 5, memMb: 1024, netAllowed: false });
    expect(p.plan).toEqual({ maxSteps: 10, maxParallel: 4, snapshotForTierGe: 'T2', tripcodeForTierGe: 'T3' });
    expect(p.conditions.healthGreenSec).toBe(5);
  });

  it('reports a YAML syntax error with line:column', async () => {
    const path = await put('broken.yaml', 'version: 1\nname: web\ntools:\n  - name: read_file\n    tier: [T0\n');
    const e = await problemsOf(() => loadSafetyPolicyFile(path));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented`));
    expect(e.message).toContain(`invalid safety policy ${path} (1 problem):\n  - ${e.problems[0]}`);
  });

  it('reports duplicate keys as YAML errors with their line', async () => {
    const path = await put('dup.yaml', 'version: 1\nname: a\nname: b\ntools: []\n');
    const e = await problemsOf(() => loadSafetyPolicyFile(path));
    expect(e.problems[0]).toMatch(/dup\.yaml:3:1: YAML syntax error: Map keys must be unique/);
  });

  it('reports schema problems with the field path and its line:column, all at once', async () => {
    const path = await put('bad.yaml', 'version: 1\nname: web\ntools:\n  - name: read_file\n    tier: T5\n    mem_mb: lots\n    color: blue\nplan:\n  max_steps: 0\n');
    const e = await problemsOf(() => loadSafetyPolicyFile(path));
    expect(e.problems).toEqual([
      `${path}:7:5: tools[0].color: unknown key; accepted keys here: name, description, tier, required_args, optional_args, allowed_args, denied_args, cpu_millicores, mem_mb, io_write_mb, net_allowed, net_allowlist, rate_limit_per_min, cooldown_sec, fs_roots`,
      `${path}:5:5: tools[0].tier: got "T5"; expected one of T0, T1, T2, T3`,
      `${path}:6:5: tools[0].mem_mb: got "lots"; expected a whole number from 0 to 4294967295`,
      `${path}:9:3: plan.max_steps: got 0; expected a whole number from 1 to 1000`,
    ]);
    expect(e.message).toMatch(/\(4 problems\)/);
  });

  it('reports a bad regular expression with its place', async () => {
    const path = await put('regex.yaml', 'version: 1\nname: web\ntools:\n  - name: run_command\n    tier: T1\n    denied_args:\n      - "/ok/"\n      - "/(unclosed/"\n');
    const e = await problemsOf(() => loadSafetyPolicyFile(path));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatch(/regex\.yaml:8:9: tools\[0\]\.denied_args\[1\]: invalid regular expression "\/\(unclosed\/": .*Unterminated group/);
  });

  it('an empty file, a missing file', async () => {
    const empty = await problemsOf(async () => loadSafetyPolicyFile(await put('empty.yaml', '# nothing\n')));
    expect(empty.problems[0]).toMatch(/empty\.yaml: the file is empty; a policy needs at least version: 1, name and tools$/);
    const missing = await problemsOf(() => loadSafetyPolicyFile(join(dir, 'nope.yaml')));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toMatch(/policy file .*nope\.yaml does not exist/);
    expect(await checkSafetyPolicyFile(join(dir, 'nope.yaml'), 'nope.yaml')).toEqual({ ok: false, problems: [`policy file ${join(dir, 'nope.yaml')} does not exist`] });
  });

  it('policies/default.yaml equals DEFAULT_SAFETY_POLICY', async () => {
    expect(await loadSafetyPolicyFile(join(REPO, 'policies', 'default.yaml'))).toEqual(DEFAULT_SAFETY_POLICY);
  });

  it('loadSafetyPolicyText names the source', () => {
    expect(() => loadSafetyPolicyText('version: 1\n', 'inline')).toThrow(/inline:1:1: tools: missing; expected a list of tools/);
    expect(loadSafetyPolicyText('version: 1\nname: x\ntools: []\n', 'inline').tools).toEqual([]);
  });
});

describe('loadSafetyPolicies', () => {
  it('one policy per project; default.yaml for the rest', async () => {
    await put('default.yaml', GOOD.replace('name: web', 'name: base').replace('max_steps: 10', 'max_steps: 20'));
    await put('web.yaml', GOOD);
    await put('api.yml', GOOD.replace('name: web', 'name: api').replace('max_steps: 10', 'max_steps: 3'));
    await put('README.md', '# not a policy');
    await mkdir(join(dir, 'sub.yaml'));
    const set = await loadSafetyPolicies(dir);
    expect(set.defaultPolicy.name).toBe('base');
    expect([...set.projects.keys()]).toEqual(['api', 'web']);
    expect(policyForProject(set, 'web').plan.maxSteps).toBe(10);
    expect(policyForProject(set, 'api').plan.maxSteps).toBe(3);
    expect(policyForProject(set, 'other').plan.maxSteps).toBe(20);
    expect(set.sources.get('default')).toBe(join(dir, 'default.yaml'));
  });

  it('without default.yaml the built-in policy is the default', async () => {
    await put('web.yaml', GOOD);
    const set = await loadSafetyPolicies(dir);
    expect(set.defaultPolicy).toBe(DEFAULT_SAFETY_POLICY);
  });

  it('names every bad file in one error', async () => {
    await put('web.yaml', GOOD);
    await put('api.yaml', 'version: 1\nname: api\ntools:\n  - name: x\n    tier: T7\n');
    await put('ops.yaml', 'version: [\n');
    await put('Bad Name.yaml', GOOD);
    await put('web.yml', GOOD);
    const e = await problemsOf(() => loadSafetyPolicies(dir));
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.problems).toHaveLength(4);
    expect(e.problems[0]).toMatch(/Bad Name\.yaml: the file name must be a project name/);
    expect(e.problems[1]).toBe(`${join(dir, 'api.yaml')}:5:5: tools[0].tier: got "T7"; expected one of T0, T1, T2, T3`);
    expect(e.problems[2]).toMatch(/ops\.yaml:\d+:\d+: YAML syntax error/);
    expect(e.problems[3]).toMatch(/web\.yml: project web already has a policy in .*web\.yaml; keep one file per project/);
    expect(e.message).toMatch(/^invalid safety policies in .* \(4 problems\):\n {2}- /);
  });

  it('a missing directory is NOT_FOUND', async () => {
    expect((await problemsOf(() => loadSafetyPolicies(join(dir, 'none')))).code).toBe('NOT_FOUND');
  });
});
