import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SAFETY_POLICY, findToolRule, formatIssuePath, parseSafetyPolicy, safetyPolicyToFile, type SafetyPolicy } from './safety-policy.js';

const minimal = { version: 1, name: 'mini', tools: [{ name: 'read_file', tier: 'T0', required_args: ['path'] }] };

function problems(obj: unknown): string[] {
  const r = parseSafetyPolicy(obj);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

function policy(obj: unknown): SafetyPolicy {
  const r = parseSafetyPolicy(obj);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.policy;
}

describe('parseSafetyPolicy: defaults and mapping', () => {
  it('fills every omitted field with its default and maps snake_case to camelCase', () => {
    const p = policy(minimal);
    expect(p).toEqual({
      version: 1,
      name: 'mini',
      description: '',
      tools: [{
        name: 'read_file', description: '', tier: 'T0', requiredArgs: ['path'], optionalArgs: [], allowedArgs: [], deniedArgs: [],
        cpuMillicores: 1000, memMb: 1024, ioWriteMb: 256, netAllowed: false, netAllowlist: [], rateLimitPerMin: 0, cooldownSec: 0, fsRoots: [],
      }],
      plan: { maxSteps: 50, maxParallel: 4, snapshotForTierGe: 'T2', tripcodeForTierGe: 'T3' },
      conditions: { healthGreenSec: 5, diskHeadroomMb: 512, policyWords: ['FATAL', 'panic', 'denied', 'Traceback', 'segmentation fault'], requireDryRunDiff: true },
    });
  });

  it('takes every field when given', () => {
    const p = policy({
      version: 1, name: 'full', description: 'd',
      tools: [{
        name: 'fetch_url', description: 'gets', tier: 'T1', required_args: ['url'], optional_args: ['timeout_ms'], allowed_args: ['https://*'], denied_args: ['/secret/i'],
        cpu_millicores: 300, mem_mb: 64, io_write_mb: 1, net_allowed: true, net_allowlist: ['example.com', '*.example.org:443'], rate_limit_per_min: 5, cooldown_sec: 2, fs_roots: ['/data', 'sub/dir'],
      }],
      plan: { max_steps: 7, max_parallel: 2, snapshot_for_tier_ge: 'T1', tripcode_for_tier_ge: 'T2' },
      conditions: { health_green_sec: 30, disk_headroom_mb: 2048, policy_words: ['OOM'], require_dry_run_diff: false },
    });
    expect(p.tools[0]).toEqual({
      name: 'fetch_url', description: 'gets', tier: 'T1', requiredArgs: ['url'], optionalArgs: ['timeout_ms'], allowedArgs: ['https://*'], deniedArgs: ['/secret/i'],
      cpuMillicores: 300, memMb: 64, ioWriteMb: 1, netAllowed: true, netAllowlist: ['example.com', '*.example.org:443'], rateLimitPerMin: 5, cooldownSec: 2, fsRoots: ['/data', 'sub/dir'],
    });
    expect(p.plan).toEqual({ maxSteps: 7, maxParallel: 2, snapshotForTierGe: 'T1', tripcodeForTierGe: 'T2' });
    expect(p.conditions).toEqual({ healthGreenSec: 30, diskHeadroomMb: 2048, policyWords: ['OOM'], requireDryRunDiff: false });
  });

  it('the default policy round-trips through its file form', () => {
    expect(policy(safetyPolicyToFile(DEFAULT_SAFETY_POLICY))).toEqual(DEFAULT_SAFETY_POLICY);
  });

  it('the default catalog has the documented tools, tiers and arguments', () => {
    const catalog = DEFAULT_SAFETY_POLICY.tools.map((t) => [t.name, t.tier, [...t.requiredArgs], [...t.optionalArgs]]);
    expect(catalog).toEqual([
      ['read_file', 'T0', ['path'], []],
      ['codegen_t0', 'T0', ['prompt'], []],
      ['write_file', 'T1', ['path', 'content'], []],
      ['apply_patch_t1', 'T1', ['patch'], []],
      ['run_command', 'T1', ['command'], ['timeout_ms']],
      ['service_run_t1', 'T1', ['command'], ['port_env', 'health_path']],
      ['container_build_t1', 'T1', ['context'], []],
      ['cron_entry_t1', 'T1', ['schedule', 'command', 'name'], []],
      ['config_update_t2', 'T2', ['path', 'content'], []],
      ['db_migrate_t2', 'T2', ['command'], []],
      ['factory_reset_t3', 'T3', [], []],
    ]);
    expect(findToolRule(DEFAULT_SAFETY_POLICY, 'write_file')?.tier).toBe('T1');
    expect(findToolRule(DEFAULT_SAFETY_POLICY, 'nope')).toBeNull();
  });
});

describe('parseSafetyPolicy: problems name the field, what was wrong and what is accepted', () => {
  it.each<[string, unknown, string]>([
    ['not a mapping', 'hello', '(top level): got "hello"; expected a mapping'],
    ['wrong version', { ...minimal, version: 2 }, 'version: got 2; expected 1'],
    ['missing name', { version: 1, tools: [] }, 'name: missing; expected a string'],
    ['bad name', { ...minimal, name: 'My Policy' }, 'name: got "My Policy"; accepted: lower case letters, digits, _ . and -, starting with a letter'],
    ['missing tools', { version: 1, name: 'x' }, 'tools: missing; expected a list of tools'],
    ['bad tier', { ...minimal, tools: [{ name: 'a', tier: 'T5' }] }, 'tools[0].tier: got "T5"; expected one of T0, T1, T2, T3'],
    ['missing tier', { ...minimal, tools: [{ name: 'a' }] }, 'tools[0].tier: missing; expected one of T0, T1, T2, T3'],
    ['negative limit', { ...minimal, tools: [{ name: 'a', tier: 'T0', mem_mb: -1 }] }, 'tools[0].mem_mb: got -1; expected a whole number from 0 to 4294967295'],
    ['fractional limit', { ...minimal, tools: [{ name: 'a', tier: 'T0', cpu_millicores: 1.5 }] }, 'tools[0].cpu_millicores: got 1.5; expected a whole number from 0 to 4294967295'],
    ['string bool', { ...minimal, tools: [{ name: 'a', tier: 'T0', net_allowed: 'yes' }] }, 'tools[0].net_allowed: got "yes"; expected true or false'],
    ['list item', { ...minimal, tools: [{ name: 'a', tier: 'T0', denied_args: ['ok', 3] }] }, 'tools[0].denied_args[1]: got 3; expected a non-empty string'],
    ['unknown key', { ...minimal, tools: [{ name: 'a', tier: 'T0', deny: ['x'] }] }, 'tools[0].deny: unknown key; accepted keys here: name, description, tier, required_args'],
    ['unknown top key', { ...minimal, extra: 1 }, 'extra: unknown key; accepted keys here: version, name, description, tools, plan, conditions'],
    ['max_steps 0', { ...minimal, plan: { max_steps: 0 } }, 'plan.max_steps: got 0; expected a whole number from 1 to 1000'],
    ['bad snapshot tier', { ...minimal, plan: { snapshot_for_tier_ge: 'T9' } }, 'plan.snapshot_for_tier_ge: got "T9"; expected one of T0, T1, T2, T3'],
    ['bad conditions', { ...minimal, conditions: { require_dry_run_diff: 1 } }, 'conditions.require_dry_run_diff: got 1; expected true or false'],
    ['bad regex', { ...minimal, tools: [{ name: 'a', tier: 'T0', denied_args: ['/(unclosed/'] }] }, 'tools[0].denied_args[0]: invalid regular expression "/(unclosed/"'],
    ['bad allowed regex', { ...minimal, tools: [{ name: 'a', tier: 'T0', allowed_args: ['/[z-a]/'] }] }, 'tools[0].allowed_args[0]: invalid regular expression "/[z-a]/"'],
    ['duplicate tool', { ...minimal, tools: [{ name: 'a', tier: 'T0' }, { name: 'a', tier: 'T1' }] }, 'tools[1].name: duplicate tool name "a" (also tools[0]); each tool is named once'],
    ['root escapes', { ...minimal, tools: [{ name: 'a', tier: 'T0', fs_roots: ['../outside'] }] }, 'tools[0].fs_roots[0]: got "../outside": climbs out of the workspace; accepted: an absolute path or one relative to the workspace'],
    ['home root', { ...minimal, tools: [{ name: 'a', tier: 'T0', fs_roots: ['~/code'] }] }, 'tools[0].fs_roots[0]: got "~/code": a home-relative path'],
    ['bad arg name', { ...minimal, tools: [{ name: 'a', tier: 'T0', required_args: ['File-Path'] }] }, 'tools[0].required_args[0]: got "File-Path"; an argument name is lower case letters'],
    ['arg in both lists', { ...minimal, tools: [{ name: 'a', tier: 'T0', required_args: ['p'], optional_args: ['p'] }] }, 'tools[0].optional_args[0]: "p" is also in required_args'],
    ['bad host', { ...minimal, tools: [{ name: 'a', tier: 'T0', net_allowed: true, net_allowlist: ['https://example.com'] }] }, 'tools[0].net_allowlist[0]: got "https://example.com"; accepted: a lower-case host name'],
    ['hosts without network', { ...minimal, tools: [{ name: 'a', tier: 'T0', net_allowlist: ['example.com'] }] }, 'tools[0].net_allowlist: hosts are listed but net_allowed is false'],
  ])('%s', (_what, obj, expected) => {
    const found = problems(obj);
    expect(found.some((p) => p.startsWith(expected)), `${expected}\nnot in:\n${found.join('\n')}`).toBe(true);
  });

  it('reports every problem at once', () => {
    const found = problems({ version: 3, name: 'ok', tools: [{ name: 'a', tier: 'T9' }, { name: 'B', tier: 'T0' }], plan: { max_parallel: 0 } });
    expect(found).toHaveLength(4);
  });

  it('accepts absolute and workspace-relative roots', () => {
    expect(policy({ ...minimal, tools: [{ name: 'a', tier: 'T0', fs_roots: ['/srv/data', 'src', './build/../out'] }] }).tools[0]?.fsRoots).toEqual(['/srv/data', 'src', './build/../out']);
  });

  it('never throws and always answers ok or problems, whatever the input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parseSafetyPolicy(v);
        if (!r.ok) expect(r.problems.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('formatIssuePath', () => {
  it('writes keys with dots and indexes in brackets', () => {
    expect(formatIssuePath(['tools', 2, 'denied_args', 0])).toBe('tools[2].denied_args[0]');
    expect(formatIssuePath([])).toBe('(top level)');
  });
});
