import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from './cli-errors.js';
import { fakeIo } from './testing/fake-io.js';
import { loadClientSettings, readContext, resolveDataDir, writeContext } from './settings.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cortical-cli-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A data dir with a context pointing at http://127.0.0.1:7470 and a token file. */
async function withContext(): Promise<string> {
  const dataDir = join(dir, 'data');
  const tokenFile = join(dir, 'admin.token');
  await writeFile(tokenFile, 'tok_ctx.context-secret-0123456789\n');
  await writeContext(dataDir, { hq: 'http://127.0.0.1:7470/', tokenFile });
  return dataDir;
}

describe('resolveDataDir', () => {
  it('flag > CORTICAL_HOME > ~/.cortical, resolved against cwd', () => {
    const io = fakeIo([], { cwd: '/w', homedir: '/home/u', env: { CORTICAL_HOME: 'rel/home' } });
    expect(resolveDataDir(io, 'd')).toBe('/w/d');
    expect(resolveDataDir(io, '~/x')).toBe('/home/u/x');
    expect(resolveDataDir(io)).toBe('/w/rel/home');
    expect(resolveDataDir(fakeIo([], { homedir: '/home/u' }))).toBe('/home/u/.cortical');
  });
});

describe('writeContext', () => {
  it('writes context.json with mode 0600 and a normalised URL', async () => {
    const dataDir = await withContext();
    const path = join(dataDir, 'context.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      hq: 'http://127.0.0.1:7470',
      tokenFile: join(dir, 'admin.token'),
    });
    expect(await readContext(dataDir)).toMatchObject({ hq: 'http://127.0.0.1:7470' });
    expect(await readContext(join(dir, 'none'))).toBeNull();
  });
});

describe('loadClientSettings precedence', () => {
  it('uses the context file when nothing else is given', async () => {
    const io = fakeIo([], { env: { CORTICAL_HOME: await withContext() } });
    expect(await loadClientSettings(io, {})).toEqual({
      hq: 'http://127.0.0.1:7470',
      token: 'tok_ctx.context-secret-0123456789',
      hqSource: 'context',
      tokenSource: 'context',
    });
  });

  it('env beats the context file', async () => {
    const io = fakeIo([], {
      env: { CORTICAL_HOME: await withContext(), CORTICAL_HQ: 'http://env:1', CORTICAL_TOKEN: 'tok_env.x' },
    });
    expect(await loadClientSettings(io, {})).toMatchObject({
      hq: 'http://env:1',
      token: 'tok_env.x',
      hqSource: 'env',
      tokenSource: 'env',
    });
  });

  it('flags beat env and the context file', async () => {
    const io = fakeIo([], {
      env: { CORTICAL_HOME: await withContext(), CORTICAL_HQ: 'http://env:1', CORTICAL_TOKEN: 'tok_env.x' },
    });
    expect(await loadClientSettings(io, { hq: 'http://flag:2/', token: 'tok_flag.y' })).toMatchObject({
      hq: 'http://flag:2',
      token: 'tok_flag.y',
      hqSource: 'flag',
      tokenSource: 'flag',
    });
  });

  it('mixes per setting: env token with the context HQ', async () => {
    const io = fakeIo([], { env: { CORTICAL_HOME: await withContext(), CORTICAL_TOKEN: 'tok_env.x' } });
    expect(await loadClientSettings(io, {})).toMatchObject({ hqSource: 'context', tokenSource: 'env' });
  });

  it('never sends the context token to another HQ', async () => {
    const io = fakeIo([], { env: { CORTICAL_HOME: await withContext() } });
    await expect(loadClientSettings(io, { hq: 'http://elsewhere:7470' })).rejects.toThrow(
      /no API token for http:\/\/elsewhere:7470: pass --token/,
    );
    // the same HQ named explicitly still gets the context token
    expect(await loadClientSettings(io, { hq: 'http://127.0.0.1:7470' })).toMatchObject({ tokenSource: 'context' });
  });

  it('says how to fix a missing configuration', async () => {
    const io = fakeIo([], { env: { CORTICAL_HOME: join(dir, 'empty') } });
    const e = await loadClientSettings(io, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliError);
    expect((e as Error).message).toMatch(/no HQ configured: run `cortical up`.*or pass --hq URL --token TOKEN/);
  });

  it('rejects a malformed URL and a broken context file', async () => {
    await expect(loadClientSettings(fakeIo([]), { hq: 'nota url' })).rejects.toThrow(/invalid HQ URL/);
    await writeFile(join(dir, 'context.json'), '{oops');
    await expect(loadClientSettings(fakeIo([], { env: { CORTICAL_HOME: dir } }), {})).rejects.toThrow(/not valid JSON/);
  });
});
