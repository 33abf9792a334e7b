/** HQ backend settings: presets, precedence (flags > env > file > preset), bad values, redaction. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHqConfigFile, parseConfigFileText } from './hq-config-file.js';
import { describeHqSettings, HqConfigError, resolveHqSettings, type HqBackendFlags, type HqConfigFile } from './hq-settings.js';
import { redactSecrets } from './redact.js';

const DATA = '/var/lib/cortical';
const CWD = '/srv/work';
const FILE = '/etc/cortical/config.json';
const PG = 'postgres://cortical:s3cret@db.internal:5432/cortical';
const PG2 = 'postgres://other:hunter2@db2.internal/cortical';

function resolve(flags: HqBackendFlags = {}, env: Record<string, string> = {}, file: HqConfigFile | null = null) {
  return resolveHqSettings({ flags, env, file: file === null ? null : { path: FILE, config: file }, dataDir: DATA, cwd: CWD });
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HqConfigError);
    return (e as Error).message;
  }
  throw new Error('expected an HqConfigError');
}

describe('presets', () => {
  it('defaults to single: SQLite in the data dir and the memory bus', () => {
    expect(resolve()).toEqual({
      preset: 'single',
      store: { kind: 'sqlite', path: join(DATA, 'cortical.db') },
      bus: { kind: 'memory' },
      sources: { preset: 'preset', store: 'preset', bus: 'preset' },
      configFile: null,
    });
  });

  it('cluster with a PostgreSQL store and NATS servers', () => {
    const s = resolve({ preset: 'cluster', store: PG, bus: 'nats://10.0.0.1:4222,10.0.0.2:4222' });
    expect(s.preset).toBe('cluster');
    expect(s.store).toEqual({ kind: 'postgres', url: PG });
    expect(s.bus).toEqual({ kind: 'nats', servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], subjectPrefix: 'cortical', streamName: 'CORTICAL_EVENTS' });
  });

  it('infers cluster from a PostgreSQL store or a NATS bus when no preset is named', () => {
    expect(resolve({ store: PG, bus: 'nats://h:4222' }).sources.preset).toBe('preset');
    expect(resolve({ store: PG, bus: 'nats://h:4222' }).preset).toBe('cluster');
    expect(errorOf(() => resolve({ store: PG }))).toMatch(/cluster preset needs a NATS bus/);
  });

  it('lets an explicit single preset run on PostgreSQL with the memory bus', () => {
    const s = resolve({ preset: 'single', store: PG });
    expect([s.preset, s.store.kind, s.bus.kind]).toEqual(['single', 'postgres', 'memory']);
  });

  it.each([
    ['no store', { preset: 'cluster', bus: 'nats://h:4222' }, /cluster preset needs a shared store: pass --store postgres:\/\//],
    ['no bus', { preset: 'cluster', store: PG }, /cluster preset needs a NATS bus.*--bus nats:\/\//],
    ['a SQLite store', { preset: 'cluster', store: 'sqlite:/x.db', bus: 'nats://h:4222' }, /needs a PostgreSQL store.*--store names SQLite/],
    ['the memory bus', { preset: 'cluster', store: PG, bus: 'memory' }, /--bus is 'memory', which reaches this process only/],
  ])('cluster with %s is a clear error', (_what, flags, message) => {
    expect(errorOf(() => resolve(flags))).toMatch(message);
  });
});

describe('precedence: flags > environment > config file > preset', () => {
  const file: HqConfigFile = { preset: 'cluster', store: 'postgres://f@file-db/c', bus: 'nats://file-nats:4222', busPrefix: 'file.prefix' };
  const env = { CORTICAL_PRESET: 'cluster', CORTICAL_STORE: 'postgres://e@env-db/c', CORTICAL_BUS: 'nats://env-nats:4222', CORTICAL_BUS_PREFIX: 'env.prefix' };
  const flags = { preset: 'cluster', store: 'postgres://x@flag-db/c', bus: 'nats://flag-nats:4222' };

  it.each([
    ['file only', {}, {}, 'file-db', 'file-nats', 'file.prefix', 'file'],
    ['env over file', {}, env, 'env-db', 'env-nats', 'env.prefix', 'env'],
    ['flags over env and file', flags, env, 'flag-db', 'flag-nats', 'env.prefix', 'flag'],
  ])('%s', (_what, f, e, db, nats, prefix, source) => {
    const s = resolve(f, e, file);
    expect(s.store.kind === 'postgres' && new URL(s.store.url).hostname).toBe(db);
    expect(s.bus.kind === 'nats' && s.bus.servers).toEqual([`nats://${nats}:4222`]);
    expect(s.bus.kind === 'nats' && s.bus.subjectPrefix).toBe(prefix);
    expect(s.sources).toEqual({ preset: source, store: source, bus: source });
    expect(s.configFile).toBe(FILE);
  });

  it('takes each setting from its own first source', () => {
    const s = resolve({ bus: 'nats://flag-nats:4222' }, { CORTICAL_STORE: PG }, { preset: 'cluster' });
    expect(s.sources).toEqual({ preset: 'file', store: 'env', bus: 'flag' });
  });

  it('ignores empty flags and environment variables', () => {
    expect(resolve({ store: '  ' }, { CORTICAL_STORE: '', CORTICAL_PRESET: '' }).preset).toBe('single');
  });

  it('a flag can take a cluster file back to single', () => {
    const s = resolve({ preset: 'single', store: 'sqlite:local.db', bus: 'memory' }, {}, file);
    expect(s).toMatchObject({ preset: 'single', store: { kind: 'sqlite', path: '/srv/work/local.db' }, bus: { kind: 'memory' } });
  });
});

describe('values', () => {
  it.each([
    ['sqlite:/abs/c.db', '/abs/c.db'],
    ['sqlite:rel/c.db', '/srv/work/rel/c.db'],
    ['sqlite:///abs/c.db', '/abs/c.db'],
  ])('store %s is the SQLite file %s', (store, path) => {
    expect(resolve({ store }).store).toEqual({ kind: 'sqlite', path });
  });

  it('resolves a relative sqlite path of the config file against the file\'s folder', () => {
    expect(resolve({}, {}, { store: 'sqlite:db/c.db' }).store).toEqual({ kind: 'sqlite', path: '/etc/cortical/db/c.db' });
  });

  it.each([
    ['nats://a:4222', ['nats://a:4222']],
    ['a:4222,b:4223', ['nats://a:4222', 'nats://b:4223']],
    ['nats://a:4222, nats://b:4222', ['nats://a:4222', 'nats://b:4222']],
    ['nats://a', ['nats://a']],
    ['tls://a:4222', ['tls://a:4222']],
  ])('bus %s is the NATS servers %j', (bus, servers) => {
    const s = resolve({ preset: 'cluster', store: PG, bus });
    expect(s.bus.kind === 'nats' && s.bus.servers).toEqual(servers);
  });

  it('takes a list of servers from the config file', () => {
    const s = resolve({}, {}, { store: PG, bus: ['nats://a:4222', 'b:4222'] });
    expect(s.bus.kind === 'nats' && s.bus.servers).toEqual(['nats://a:4222', 'nats://b:4222']);
  });

  it.each([
    [{ preset: 'multi' }, /invalid --preset 'multi': accepted presets are single, cluster/],
    [{ store: 'mysql://db/x' }, /invalid --store 'mysql:\/\/db\/x': accepted: sqlite:PATH .* or postgres:\/\//],
    [{ store: 'sqlite:' }, /invalid --store 'sqlite:': sqlite: needs a file path/],
    [{ store: PG, bus: 'http://a:4222' }, /invalid --bus: 'http:\/\/a:4222' is not a NATS URL/],
    [{ store: PG, bus: 'nats://a:99999' }, /invalid --bus: 'nats:\/\/a:99999' is not host:port/],
    [{ store: PG, bus: 'nats://a:4222,' }, /invalid --bus: an empty server/],
    [{ store: PG, bus: 'nats://a:4222/x' }, /is not host:port/],
  ])('rejects %j', (flags, message) => {
    expect(errorOf(() => resolve(flags))).toMatch(message);
  });

  it('names the environment variable or the file field that is wrong', () => {
    expect(errorOf(() => resolve({}, { CORTICAL_STORE: 'redis://x' }))).toMatch(/^invalid CORTICAL_STORE 'redis:\/\/x'/);
    expect(errorOf(() => resolve({}, {}, { store: 'redis://x' }))).toMatch(/^invalid "store" in \/etc\/cortical\/config.json/);
    expect(errorOf(() => resolve({ store: PG, bus: 'nats://a' }, { CORTICAL_BUS_PREFIX: 'bad prefix!' }))).toMatch(/invalid CORTICAL_BUS_PREFIX 'bad prefix!': a subject prefix is/);
    expect(errorOf(() => resolve({ store: PG, bus: 'nats://a' }, { CORTICAL_BUS_STREAM: 'a.b' }))).toMatch(/invalid CORTICAL_BUS_STREAM 'a.b': a stream name is/);
  });

  it('derives the stream name from the subject prefix unless one is given', () => {
    const withPrefix = resolve({ store: PG, bus: 'nats://a' }, { CORTICAL_BUS_PREFIX: 'acme.cortical' });
    expect(withPrefix.bus).toMatchObject({ subjectPrefix: 'acme.cortical', streamName: 'ACME_CORTICAL_EVENTS' });
    const named = resolve({ store: PG, bus: 'nats://a' }, { CORTICAL_BUS_PREFIX: 'acme', CORTICAL_BUS_STREAM: 'ACME' });
    expect(named.bus).toMatchObject({ subjectPrefix: 'acme', streamName: 'ACME' });
  });
});

describe('secrets in URLs', () => {
  it.each([
    [PG, 'postgres://cortical:***@db.internal:5432/cortical'],
    ['postgres://db/x?password=hunter2&sslmode=require', 'postgres://db/x?password=***&sslmode=require'],
    ['nats://user:pw@a:4222,nats://TOKEN123@b:4222', 'nats://user:***@a:4222,nats://***@b:4222'],
    ['postgres://cortical@db/x', 'postgres://cortical@db/x'],
    ['cannot connect to postgres://u:p%40ss@h/db: refused', 'cannot connect to postgres://u:***@h/db: refused'],
  ])('redacts %s', (text, shown) => {
    expect(redactSecrets(text)).toBe(shown);
  });

  it('never shows a password in errors or in the settings log line', () => {
    const errors = [
      errorOf(() => resolve({ store: 'postgres://u:hunter2@[bad' })),
      errorOf(() => resolve({ preset: 'single', store: PG, bus: 'nats://u:hunter2@a:99999' })),
      errorOf(() => resolve({ store: 'pg://u:hunter2@db/x' })),
    ];
    for (const e of errors) expect(e).not.toContain('hunter2');
    const line = JSON.stringify(describeHqSettings(resolve({ store: PG2, bus: 'nats://u:hunter2@a:4222' })));
    expect(line).not.toContain('hunter2');
    expect(line).toContain('db2.internal');
  });
});

describe('config file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cortical-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['{"preset": "cluster", "store": "x"', /is not valid JSON/],
    ['{"preset": "multi"}', /field "preset": expected one of single, cluster/],
    ['{"store": 5}', /field "store": .*expected string/i],
    ['{"stor": "sqlite:x"}', /unknown field "stor" \(accepted keys: preset, store, bus, busPrefix, busStream/],
    ['[1]', /the file: /],
    ['{"store": "postgres://u:hunter2@db/x",}', /is not valid JSON/],
  ])('rejects %s with a clear error', (text, message) => {
    const error = errorOf(() => parseConfigFileText('/c.json', text));
    expect(error).toMatch(message);
    expect(error).not.toContain('hunter2');
  });

  it('reads <data dir>/config.json when present, --config or CORTICAL_CONFIG when given', async () => {
    expect(await loadHqConfigFile({ env: {}, dataDir: dir, cwd: dir })).toBeNull();
    await writeFile(join(dir, 'config.json'), JSON.stringify({ preset: 'single', store: 'sqlite:a.db' }));
    await writeFile(join(dir, 'other.json'), JSON.stringify({ bus: 'memory' }));
    expect(await loadHqConfigFile({ env: {}, dataDir: dir, cwd: dir })).toEqual({ path: join(dir, 'config.json'), config: { preset: 'single', store: 'sqlite:a.db' } });
    expect((await loadHqConfigFile({ flag: 'other.json', env: { CORTICAL_CONFIG: 'x.json' }, dataDir: dir, cwd: dir }))?.config).toEqual({ bus: 'memory' });
    expect((await loadHqConfigFile({ env: { CORTICAL_CONFIG: join(dir, 'other.json') }, dataDir: '/nowhere', cwd: '/' }))?.path).toBe(join(dir, 'other.json'));
    await expect(loadHqConfigFile({ flag: 'missing.json', env: {}, dataDir: dir, cwd: dir })).rejects.toThrow(/cannot read the config file .*missing.json \(--config\): ENOENT/);
  });
});
