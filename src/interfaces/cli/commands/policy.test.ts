/**
 * `cortical policy check|show` on real files in a temporary directory (no HQ: the commands work
 * locally). The program is built here with the policy commands registered, as `program.ts` does.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SAFETY_POLICY, parseSafetyPolicy } from '../../../core/safety-policy.js';
import { CliError } from '../cli-errors.js';
import { EXIT_FAILURE, EXIT_USAGE } from '../cli-io.js';
import { CommandContext } from '../command-context.js';
import { fakeIo } from '../testing/fake-io.js';
import { registerPolicyCommands } from './policy.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

const GOOD = 'version: 1\nname: web\ntools:\n  - name: read_file\n    tier: T0\n    required_args: [path]\n  - name: run_command\n    tier: T1\n    required_args: [command]\nplan:\n  max_steps: 10\n';
const BAD = 'version: 1\nname: web\ntools:\n  - name: read_file\n    tier: T9\n  - name: read_file\n    tier: T0\n    denied_args: ["/(x/"]\n';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cortical-policy-cli-'));
  await writeFile(join(dir, 'good.yaml'), GOOD);
  await writeFile(join(dir, 'bad.yaml'), BAD);
  await writeFile(join(dir, 'broken.yml'), 'version: 1\nname: [\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `cortical ARGV` with the policy commands; maps errors to exit codes as `runCli` does. */
async function cli(argv: string[], cwd = dir) {
  const io = fakeIo(argv, { cwd });
  const ctx = new CommandContext(io);
  const program = new Command('cortical')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });
  registerPolicyCommands(program, ctx);
  let code: number;
  try {
    await program.parseAsync(argv, { from: 'user' });
    code = ctx.code;
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr.write(`error: ${e.message}\n`);
      code = EXIT_FAILURE;
    } else if (e instanceof CommanderError) code = EXIT_USAGE;
    else throw e;
  }
  return { code, out: io.out(), err: io.errText() };
}

describe('cortical policy check', () => {
  it('a valid file: ok with its tool count and max steps, exit 0', async () => {
    const r = await cli(['policy', 'check', 'good.yaml']);
    expect(r).toEqual({ code: 0, out: 'ok: good.yaml (2 tools, max steps 10)\n', err: '' });
  });

  it('the shipped policies/default.yaml is valid', async () => {
    const r = await cli(['policy', 'check', 'policies/default.yaml'], REPO);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toBe(`ok: policies/default.yaml (${DEFAULT_SAFETY_POLICY.tools.length} tools, max steps 50)\n`);
  });

  it('an invalid file among valid ones: each problem printed, exit 1', async () => {
    const r = await cli(['policy', 'check', 'good.yaml', 'bad.yaml', 'broken.yml', join(dir, 'missing.yaml')]);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('ok: good.yaml (2 tools, max steps 10)');
    expect(lines[1]).toBe('invalid: bad.yaml (3 problems)');
    expect(lines[2]).toBe('  - bad.yaml:5:5: tools[0].tier: got "T9"; expected one of T0, T1, T2, T3');
    expect(lines[3]).toBe('  - bad.yaml:6:5: tools[1].name: duplicate tool name "read_file" (also tools[0]); each tool is named once');
    expect(lines[4]).toMatch(/^ {2}- bad\.yaml:8:19: tools\[1\]\.denied_args\[0\]: invalid regular expression "\/\(x\/"/);
    expect(lines[5]).toBe('invalid: broken.yml (1 problem)');
    expect(lines[6]).toMatch(/^ {2}- broken\.yml:\d+:\d+: YAML syntax error: /);
    expect(lines[7]).toBe(`invalid: ${join(dir, 'missing.yaml')} (1 problem)`);
    expect(lines[8]).toBe(`  - policy file ${join(dir, 'missing.yaml')} does not exist`);
  });

  it('--json prints every file with its result', async () => {
    const r = await cli(['policy', 'check', '--json', 'good.yaml', 'bad.yaml']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.ok).toBe(false);
    expect(doc.files[0]).toEqual({ file: 'good.yaml', ok: true, name: 'web', tools: 2, maxSteps: 10, problems: [] });
    expect(doc.files[1]).toMatchObject({ file: 'bad.yaml', ok: false, tools: null });
    expect(doc.files[1].problems).toHaveLength(3);
    expect((await cli(['policy', 'check', '--json', 'good.yaml'])).code).toBe(0);
  });

  it('needs at least one file (usage error)', async () => {
    const r = await cli(['policy', 'check']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toMatch(/missing required argument 'file'/);
  });
});

describe('cortical policy show', () => {
  it('without FILE: the built-in policy as YAML that parses back to it', async () => {
    const r = await cli(['policy', 'show']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('# built-in policy: 11 tools, max steps 50');
    const parsed = parseSafetyPolicy(parse(r.out));
    expect(parsed.ok && parsed.policy).toEqual(DEFAULT_SAFETY_POLICY);
  });

  it('FILE --json: the effective policy with defaults filled in, in the file\'s keys', async () => {
    const r = await cli(['policy', 'show', '--json', 'good.yaml']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.plan).toEqual({ max_steps: 10, max_parallel: 4, snapshot_for_tier_ge: 'T2', tripcode_for_tier_ge: 'T3' });
    expect(doc.tools[1]).toMatchObject({ name: 'run_command', tier: 'T1', mem_mb: 1024, net_allowed: false, fs_roots: [] });
    expect(doc.conditions.require_dry_run_diff).toBe(true);
  });

  it('an invalid FILE: its problems, exit 1', async () => {
    const r = await cli(['policy', 'show', 'bad.yaml']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error: invalid safety policy bad\.yaml:\n {2}- bad\.yaml:5:5: tools\[0\]\.tier: got "T9"/);
  });
});
