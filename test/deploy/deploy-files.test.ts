/**
 * deploy/ is not run in CI (no Docker engine), but everything that can be checked without one is:
 * the compose file's structure and cross-references, the nginx config (with nginx when
 * installed), the systemd units (with systemd-analyze when installed), the Dockerfile's basics,
 * and that bubblewrap works under no_new_privs as the node unit's hardening assumes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlSubset, YamlSubsetError, type YamlValue } from './yaml-subset.js';

const DEPLOY = resolve(import.meta.dirname, '..', '..', 'deploy');
const read = (name: string): string => readFileSync(join(DEPLOY, name), 'utf8');

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
function skipNote(what: string): void {
  console.warn(`deploy check SKIPPED: ${what}`);
}

type Obj = { [key: string]: YamlValue };
const obj = (v: YamlValue | undefined, what: string): Obj => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} must be a mapping`);
  return v;
};
const strings = (v: YamlValue | undefined, what: string): string[] => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`${what} must be a list of strings`);
  return v;
};
const str = (v: YamlValue | undefined, what: string): string => {
  if (typeof v !== 'string') throw new Error(`${what} must be a string`);
  return v;
};

/** Compose's `${VAR:-default}` with every variable unset. */
function interpolateDefaults(text: string): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, _name: string, dflt: string | undefined) => dflt ?? '');
}

const composeText = read('docker-compose.yml');
const compose = obj(parseYamlSubset(composeText), 'the compose file');
const services = obj(compose['services'], 'services');
const serviceNames = Object.keys(services);
const svc = (name: string): Obj => obj(services[name], `service ${name}`);
const hqReplicas = serviceNames.filter((n) => strings(svc(n)['command'] ?? [], `${n}.command`)[0] === 'hq');
const nodeServices = serviceNames.filter((n) => strings(svc(n)['command'] ?? [], `${n}.command`)[0] === 'node');

function optionOf(command: readonly string[], flag: string): string | undefined {
  const i = command.indexOf(flag);
  return i < 0 ? undefined : command[i + 1];
}

describe('the YAML subset parser', () => {
  it('reads scalars as YAML does and refuses what is outside the subset', () => {
    expect(parseYamlSubset('a:\n  b: 5\n  c: 5s\n  d: "x: y"\n  e: ["p", "q"]\n  f: {}\n  g:\n    - h\n    - "7:7"\n  i: true\n  j: ~\n')).toEqual({
      a: { b: 5, c: '5s', d: 'x: y', e: ['p', 'q'], f: {}, g: ['h', '7:7'], i: true, j: null },
    });
    for (const bad of ['a: yes', 'a: &x 1', 'a: b: c', 'a:\n\tb: 1', 'a: 1\na: 2', "a: 'q'", 'a:\n  - b: 1', 'a: [1, 2', 'a: x # c', '---\na: 1']) {
      expect(() => parseYamlSubset(bad), bad).toThrow(YamlSubsetError);
    }
  });

  it('agrees with a real YAML parser on the compose file (PyYAML, when installed)', (ctx) => {
    const py = spawnSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: composeText, encoding: 'utf8' });
    if (py.status !== 0) {
      skipNote(`python3 with PyYAML is not installed (${(py.stderr || String(py.error)).trim().split('\n').at(-1)})`);
      ctx.skip();
    }
    expect(JSON.parse(py.stdout)).toEqual(compose);
  });
});

describe('deploy/docker-compose.yml', () => {
  it('has PostgreSQL, NATS with JetStream, a load balancer, 2-3 HQ replicas and 2 nodes', () => {
    for (const name of ['postgres', 'nats', 'lb']) expect(serviceNames).toContain(name);
    expect(hqReplicas.length).toBeGreaterThanOrEqual(2);
    expect(hqReplicas.length).toBeLessThanOrEqual(3);
    expect(nodeServices).toHaveLength(2);
    expect(strings(svc('nats')['command'], 'nats.command')).toContain('-js');
  });

  it('every HQ replica runs the cluster preset on the compose PostgreSQL and NATS, listening for others', () => {
    const image = svc(hqReplicas[0]!)['image'];
    for (const name of hqReplicas) {
      const s = svc(name);
      const env = obj(s['environment'], `${name}.environment`);
      expect(env['CORTICAL_PRESET'], name).toBe('cluster');
      const store = new URL(interpolateDefaults(str(env['CORTICAL_STORE'], 'CORTICAL_STORE')));
      expect(store.protocol, name).toBe('postgres:');
      expect(serviceNames, `${name}: store host`).toContain(store.hostname);
      const pg = obj(svc(store.hostname)['environment'], 'postgres.environment');
      expect(decodeURIComponent(store.username)).toBe(pg['POSTGRES_USER']);
      expect(store.pathname).toBe(`/${str(pg['POSTGRES_DB'], 'POSTGRES_DB')}`);
      expect(store.password).toBe(interpolateDefaults(str(pg['POSTGRES_PASSWORD'], 'POSTGRES_PASSWORD')));
      const bus = new URL(str(env['CORTICAL_BUS'], 'CORTICAL_BUS'));
      expect(bus.protocol, name).toBe('nats:');
      expect(serviceNames, `${name}: bus host`).toContain(bus.hostname);
      const command = strings(s['command'], `${name}.command`);
      expect(optionOf(command, '--host'), name).toBe('0.0.0.0');
      expect(s['image'], name).toBe(image);
      const deps = obj(s['depends_on'], `${name}.depends_on`);
      expect(obj(deps[store.hostname], 'dep')['condition']).toBe('service_healthy');
      expect(obj(deps[bus.hostname], 'dep')['condition']).toBe('service_healthy');
    }
    // One replica builds the image the others use.
    const builders = hqReplicas.filter((n) => svc(n)['build'] !== undefined);
    expect(builders).toHaveLength(1);
    const build = obj(svc(builders[0]!)['build'], 'build');
    expect(existsSync(resolve(DEPLOY, str(build['context'], 'build.context'), str(build['dockerfile'], 'build.dockerfile')))).toBe(true);
  });

  it('nodes list every replica in --hq and the load balancer forwards to every replica', () => {
    const replicaUrls = hqReplicas.map((n) => `http://${n}:${optionOf(strings(svc(n)['command'], 'command'), '--port')}`).sort();
    for (const name of nodeServices) {
      const command = strings(svc(name)['command'], `${name}.command`);
      expect(optionOf(command, '--hq')!.split(',').sort(), name).toEqual(replicaUrls);
      expect(optionOf(command, '--name'), name).toBe(name);
      expect(Object.keys(obj(svc(name)['depends_on'], 'depends_on')).sort()).toEqual([...hqReplicas].sort());
      expect(strings(svc(name)['profiles'], 'profiles')).toEqual(['nodes']);
    }
    const upstream = [...read('nginx.conf').matchAll(/^\s*server\s+([a-z0-9-]+):(\d+)\b/gm)].map((m) => `http://${m[1]}:${m[2]}`).sort();
    expect(upstream).toEqual(replicaUrls);
    const lb = svc('lb');
    const [published] = strings(lb['ports'], 'lb.ports');
    expect(read('nginx.conf')).toMatch(new RegExp(`listen ${published!.split(':')[1]};`));
  });

  it('every service has a healthcheck and a restart policy; HQ is checked on /healthz', () => {
    for (const name of serviceNames) {
      const s = svc(name);
      expect(s['restart'], name).toMatch(/^(?:unless-stopped|always|on-failure)$/);
      const test = strings(obj(s['healthcheck'], `${name}.healthcheck`)['test'], `${name}.healthcheck.test`);
      expect(['CMD', 'CMD-SHELL'], name).toContain(test[0]);
    }
    for (const name of [...hqReplicas, 'lb']) expect(strings(obj(svc(name)['healthcheck'], 'hc')['test'], 'test').join(' '), name).toContain('/healthz');
  });

  it('named volumes are declared, bind mounts exist, dependencies are services', () => {
    const declared = Object.keys(obj(compose['volumes'], 'volumes'));
    const used = new Set<string>();
    for (const name of serviceNames) {
      const s = svc(name);
      for (const v of strings(s['volumes'] ?? [], `${name}.volumes`)) {
        const [source] = v.split(':');
        if (source!.startsWith('.') || source!.startsWith('/')) expect(existsSync(resolve(DEPLOY, source!)), `${name}: ${source}`).toBe(true);
        else {
          expect(declared, `${name}: volume ${source}`).toContain(source);
          used.add(source!);
        }
      }
      for (const dep of Object.keys(obj(s['depends_on'] ?? {}, 'depends_on'))) expect(serviceNames, `${name} depends on ${dep}`).toContain(dep);
    }
    expect([...used].sort()).toEqual([...declared].sort());
    // Nodes keep their own credential; they never share a data volume.
    const nodeVolumes = nodeServices.map((n) => strings(svc(n)['volumes'], 'volumes')[0]!.split(':')[0]);
    expect(new Set(nodeVolumes).size).toBe(nodeServices.length);
  });
});

describe('deploy/nginx.conf', () => {
  it('passes nginx -t (when nginx is installed)', (ctx) => {
    if (!has('nginx')) {
      skipNote('nginx is not installed: deploy/nginx.conf not checked with nginx -t');
      ctx.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'cortical-nginx-'));
    try {
      // The replicas' names resolve only inside compose; check the syntax against loopback.
      const conf = read('nginx.conf').replace(/server\s+hq\d+:/g, 'server 127.0.0.1:').replace('events {', `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {`);
      writeFileSync(join(dir, 'nginx.conf'), conf);
      const r = spawnSync('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/Dockerfile', () => {
  it('builds on Node.js 20 with the pinned dependencies and bubblewrap', () => {
    const dockerfile = read('Dockerfile');
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    expect(froms.length).toBeGreaterThan(0);
    for (const f of froms) expect(f).toMatch(/^node:20[.-]/);
    expect(dockerfile).toMatch(/npm ci\b/);
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bbubblewrap\b/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \[.*"cortical"\]$/m);
  });
});

describe('deploy/systemd', () => {
  const units = ['cortical-hq.service', 'cortical-node.service'];
  const directives = (unit: string): Map<string, string[]> => {
    const out = new Map<string, string[]>();
    for (const line of read(join('systemd', unit)).split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
      if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
    }
    return out;
  };

  it('restart on failure, no new privileges, an example for each environment file', () => {
    for (const unit of units) {
      const d = directives(unit);
      expect(d.get('Restart'), unit).toEqual(['on-failure']);
      expect(d.get('NoNewPrivileges'), unit).toEqual(['yes']);
      const envFile = d.get('EnvironmentFile')![0]!;
      expect(existsSync(join(DEPLOY, 'systemd', `${envFile.split('/').at(-1)!}.example`)), unit).toBe(true);
      expect(d.get('ExecStart')![0]).toMatch(/cortical\.js (hq|node) /);
    }
    const node = directives('cortical-node.service');
    // What bubblewrap and the sleeves' cgroups need (see the unit's comments and the README).
    for (const off of ['RestrictNamespaces', 'PrivateUsers', 'SystemCallFilter', 'ProtectKernelTunables', 'ProtectProc', 'ProcSubset', 'ProtectControlGroups']) {
      expect(node.has(off), `node unit must not set ${off}`).toBe(false);
    }
    expect(read('systemd/node.env.example')).toMatch(/^CORTICAL_HQ=http:\/\/[^,\s]+(,http:\/\/[^,\s]+)+$/m);
    expect(read('systemd/hq.env.example')).toMatch(/^CORTICAL_PRESET=cluster$/m);
  });

  it('systemd-analyze verify accepts the units (when installed)', (ctx) => {
    if (!has('systemd-analyze')) {
      skipNote('systemd-analyze is not installed: units not verified');
      ctx.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'cortical-units-'));
    try {
      for (const unit of units) {
        // verify checks that ExecStart's program exists: use this machine's node.
        const text = read(join('systemd', unit)).replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `);
        writeFileSync(join(dir, unit), text);
      }
      const r = spawnSync('systemd-analyze', ['verify', ...units.map((u) => join(dir, u))], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' } });
      // verify exits 0 on unknown keys and bad values too; it must print nothing about ours.
      const complaints = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('cortical-'));
      expect(complaints).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bubblewrap sandboxes work under no_new_privs, as root and as uid 65534 (when bwrap and setpriv are installed)', (ctx) => {
    if (!has('bwrap') || !has('setpriv')) {
      skipNote('bwrap or setpriv is not installed: NoNewPrivileges with bubblewrap not checked');
      ctx.skip();
    }
    const sandbox = ['bwrap', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--unshare-all', '--die-with-parent', 'true'];
    const plain = spawnSync(sandbox[0]!, sandbox.slice(1), { encoding: 'utf8' });
    if (plain.status !== 0) {
      skipNote(`bubblewrap cannot make sandboxes on this machine at all (${plain.stderr.trim()})`);
      ctx.skip();
    }
    const withNnp = spawnSync('setpriv', ['--no-new-privs', ...sandbox], { encoding: 'utf8' });
    expect(withNnp.status, withNnp.stderr).toBe(0);
    if (process.getuid?.() === 0) {
      const asNobody = spawnSync('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--no-new-privs', ...sandbox], { encoding: 'utf8' });
      expect(asNobody.status, asNobody.stderr).toBe(0);
    }
  });
});
