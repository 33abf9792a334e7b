import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOOL_POLICY, type ToolPolicy } from '../../../core/tool-policy.js';
import { parseToolArgs, ToolRunner, truncateOutput } from './builtin-tool-runner.js';

const base = mkdtempSync(join(tmpdir(), 'cortical-builtin-tools-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

function runner(policy: Partial<ToolPolicy> = {}, maxOutputChars = 2000, lockdown = false) {
  n += 1;
  const ws = join(base, `ws${n}`);
  mkdirSync(ws, { recursive: true });
  const r = new ToolRunner({ workspace: ws, policy: { ...DEFAULT_TOOL_POLICY, ...policy }, lockdown, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, commandTimeoutMs: 5000, maxOutputChars });
  return { ws, run: (name: string, args: unknown) => r.run(name, JSON.stringify(args)) };
}

describe('ToolRunner', () => {
  it('writes, edits and reads files and reports workspace-relative changes', async () => {
    const { ws, run } = runner();
    expect(await run('write_file', { path: 'src/a.txt', content: 'one\ntwo\n' })).toMatchObject({ ok: true, changes: [{ path: 'src/a.txt', change: 'created' }] });
    expect(await run('edit_file', { path: 'src/a.txt', old_text: 'two', new_text: 'three' })).toMatchObject({ ok: true, changes: [{ path: 'src/a.txt', change: 'modified' }] });
    expect(readFileSync(join(ws, 'src/a.txt'), 'utf8')).toBe('one\nthree\n');
    expect(await run('read_file', { path: 'src/a.txt', offset: 2 })).toMatchObject({ ok: true, output: '     2\tthree' });
    expect(await run('edit_file', { path: 'src/a.txt', old_text: 'zzz', new_text: 'x' })).toMatchObject({ ok: false, output: expect.stringContaining('not found') });
    expect(await run('write_file', { path: 'src/a.txt', content: 'x' })).toMatchObject({ changes: [{ path: 'src/a.txt', change: 'modified' }] });
  });

  it('refuses by policy without running: outside the roots, deny patterns, tiers', async () => {
    const { ws, run } = runner({ deny: ['/curl/'] });
    expect(await run('write_file', { path: '../escape.txt', content: 'x' })).toMatchObject({ ok: false, denied: { tier: 'T1' } });
    expect((await run('write_file', { path: '../escape.txt', content: 'x' })).output).toMatch(/^denied by policy: path "\.\.\/escape\.txt" resolves to/);
    expect(await run('run_command', { command: 'curl http://x' })).toMatchObject({ ok: false, output: 'denied by policy: matches deny pattern "/curl/"' });
    expect(await run('run_command', { command: 'sudo touch /x' })).toMatchObject({ ok: false, denied: { tier: 'T2' } });
    expect(await run('launch', {})).toMatchObject({ ok: false, denied: { tier: 'T3' } });
    expect(existsSync(join(ws, '..', 'escape.txt'))).toBe(false);
  });

  it('reports the decision on every call; under lockdown T2/T3 are refused even where allowed', async () => {
    const open = runner({ allow: ['/^sudo -n true/'] });
    expect((await open.run('write_file', { path: 'a.txt', content: 'x' })).decision).toEqual({ allowed: true, tier: 'T1', reason: 'write_file is T1' });
    const raised = await open.run('run_command', { command: 'sudo -n true 2>/dev/null; true' });
    expect(raised).toMatchObject({ decision: { allowed: true, tier: 'T2' } });
    expect(raised.output).not.toMatch(/^denied/);
    expect((await open.run('run_command', { command: 'sudo true' })).decision).toMatchObject({ allowed: false, tier: 'T2' });
    expect((await open.run('read_file', [1])).decision).toBeUndefined();

    const locked = runner({ maxTier: 'T3', allow: ['*'] }, 2000, true);
    const lockdownReason = 'the fleet is locked down: T2 and T3 calls are refused';
    expect(await locked.run('run_command', { command: 'touch t2-marker; sudo true' })).toEqual({
      ok: false,
      output: `denied by policy: ${lockdownReason}`,
      changes: [],
      denied: { tier: 'T2', reason: lockdownReason },
      decision: { allowed: false, tier: 'T2', reason: lockdownReason },
    });
    expect(existsSync(join(locked.ws, 't2-marker'))).toBe(false);
    expect(await locked.run('launch', {})).toMatchObject({ ok: false, denied: { tier: 'T3', reason: lockdownReason } });
    expect(await locked.run('run_command', { command: 'echo ok' })).toMatchObject({ ok: true, decision: { allowed: true, tier: 'T1' } });
  });

  it('refuses a path that leaves the roots through a symbolic link', async () => {
    const { ws, run } = runner();
    const outside = join(base, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(outside, join(ws, 'link'));
    const r = await run('read_file', { path: 'link/secret.txt' });
    expect(r).toMatchObject({ ok: false, denied: { tier: 'T0' } });
    expect(r.output).toContain('symbolic link');
    expect(await run('write_file', { path: 'link/new.txt', content: 'x' })).toMatchObject({ ok: false });
  });

  it('runs commands in the workspace with a time limit and reports the files they change', async () => {
    const { run } = runner();
    await run('write_file', { path: 'old.txt', content: 'x' });
    const r = await run('run_command', { command: 'pwd >/dev/null; echo made > new.txt; rm old.txt; echo out; echo err >&2; exit 3' });
    expect(r.ok).toBe(false);
    expect(r.output).toBe('exit code 3\nout\nerr');
    expect(r.changes).toEqual([
      { path: 'new.txt', change: 'created' },
      { path: 'old.txt', change: 'deleted' },
    ]);
    const slow = await run('run_command', { command: 'sleep 5', timeout_ms: 200 });
    expect(slow).toMatchObject({ ok: false, output: 'timed out after 200 ms' });
  });

  it('lists and searches, and truncates long outputs', async () => {
    const { run } = runner({}, 200);
    await run('write_file', { path: 'a/b.ts', content: 'const x = 1;\nconst needle = 2;\n' });
    await run('write_file', { path: 'node_modules/m/index.js', content: 'needle' });
    expect(await run('list_files', { recursive: true })).toMatchObject({ output: 'a/\na/b.ts\nnode_modules/' });
    expect(await run('search', { pattern: 'NEEDLE', ignore_case: true })).toMatchObject({ ok: true, output: 'a/b.ts:2: const needle = 2;' });
    expect(await run('search', { pattern: '(' })).toMatchObject({ ok: false });
    const long = await run('run_command', { command: 'seq 1 500' });
    expect(long.output.length).toBeLessThanOrEqual(200);
    expect(long.output).toContain('characters cut');
  });

  it('parseToolArgs and truncateOutput', () => {
    expect(parseToolArgs('')).toEqual({});
    expect(parseToolArgs('[1]')).toBe('the arguments must be a JSON object');
    expect(parseToolArgs('{bad')).toMatch(/not valid JSON/);
    expect(truncateOutput('abc', 10)).toBe('abc');
    const t = truncateOutput('x'.repeat(1000), 100);
    expect(t.length).toBe(100);
    expect(t.startsWith('xxx') && t.endsWith('xxx')).toBe(true);
  });
});
