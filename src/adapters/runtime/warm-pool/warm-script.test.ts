import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimScript, exportableNames, shellQuote } from './warm-script.js';

describe('claimScript', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cortical-warm-script-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const values = ["it's", 'a "b" $c `d` \\e', 'line one\nline two\n', '', ' lead and trail ', '$(touch pwned)', "'; exit 9; '"];

  it('quotes any value into one shell word', () => {
    for (const v of values) {
      const r = spawnSync('/bin/sh', ['-c', `printf %s ${shellQuote(v)}`], { encoding: 'utf8' });
      expect(r.stdout).toBe(v);
    }
  });

  it('runs the command in the directory with exactly the given environment, arguments and stdin', () => {
    const env = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
    const script = claimScript({ stdinFd: 5, hasStdin: true, cwd: dir, env, command: process.execPath, args: ['-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify({env:process.env,cwd:process.cwd(),argv:process.argv.slice(1),s})))', ...values] });
    // As in a warm sleeve: the script on stdin of `sh -s` (started without environment), the stdin on fd 5.
    const r = spawnSync('/bin/sh', ['-c', 'exec 5<<EOF\nthe stdin\nEOF\nexec /bin/sh -s'], { input: script, env: {}, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { env: Record<string, string>; cwd: string; argv: string[]; s: string };
    expect(out.env).toEqual(env);
    expect(out.cwd).toBe(dir);
    expect(out.argv).toEqual(values);
    expect(out.s).toBe('the stdin\n');
  });

  it('gives /dev/null as stdin when the spec has none, and refuses names it cannot export', () => {
    const script = claimScript({ stdinFd: 5, hasStdin: false, cwd: dir, env: {}, command: '/bin/sh', args: ['-c', 'cat; echo end'] });
    const r = spawnSync('/bin/sh', ['-c', 'exec 5<&0; exec /bin/sh -s'], { input: script, encoding: 'utf8' });
    expect(r.stdout).toBe('end\n');
    expect(exportableNames({ GOOD_1: 'x' })).toBe(true);
    expect(exportableNames({ 'bad-name': 'x' })).toBe(false);
    expect(() => claimScript({ stdinFd: 5, hasStdin: false, cwd: dir, env: { 'a.b': 'x' }, command: '/bin/true', args: [] })).toThrow(/cannot be exported/);
  });
});
