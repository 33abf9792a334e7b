/**
 * Test hosts in network namespaces: a bridge in the root namespace (the "switch", with the
 * address HQ listens on) and one namespace per host, joined by a veth pair. A host's link can be
 * cut and restored (the bridge side of its veth goes down / up). Needs root and `ip`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

export interface NetHost {
  readonly name: string;
  /** The namespace (`ip netns exec <ns> …`). */
  readonly ns: string;
  readonly address: string;
  /** Take the host's link down (a partition) / bring it back. */
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** argv that runs a command inside the host's namespace. */
  wrap(argv: readonly string[]): string[];
}

export interface TestNetwork {
  /** The address of the root namespace on the bridge (where HQ listens). */
  readonly gateway: string;
  addHost(name: string): Promise<NetHost>;
  destroy(): Promise<void>;
}

/** Whether namespaces can be made here (root, `ip netns` works). */
export async function netnsAvailable(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  const probe = `cxprobe${randomBytes(2).toString('hex')}`;
  try {
    await ip('netns', 'add', probe);
    await ip('netns', 'del', probe);
    return true;
  } catch {
    return false;
  }
}

export async function createTestNetwork(): Promise<TestNetwork> {
  const tag = randomBytes(2).toString('hex'); // interface names are at most 15 characters
  const subnet = `10.${100 + (parseInt(tag, 16) % 150)}.${parseInt(tag.slice(2), 16) % 250}`;
  const bridge = `cx${tag}br`;
  const gateway = `${subnet}.1`;
  await ip('link', 'add', bridge, 'type', 'bridge');
  await ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
  await ip('link', 'set', bridge, 'up');
  const namespaces: string[] = [];
  let next = 10;
  return {
    gateway,
    async addHost(name: string): Promise<NetHost> {
      const n = next++;
      const ns = `cx${tag}-${name}`;
      const hostSide = `cx${tag}v${n}`;
      const inside = `cx${tag}p${n}`;
      const address = `${subnet}.${n}`;
      await ip('netns', 'add', ns);
      namespaces.push(ns);
      await ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', inside);
      await ip('link', 'set', inside, 'netns', ns);
      await ip('link', 'set', hostSide, 'master', bridge);
      await ip('link', 'set', hostSide, 'up');
      await ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', inside);
      await ip('netns', 'exec', ns, 'ip', 'link', 'set', inside, 'up');
      await ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
      await ip('netns', 'exec', ns, 'ip', 'route', 'add', 'default', 'via', gateway);
      return {
        name,
        ns,
        address,
        cut: () => ip('link', 'set', hostSide, 'down'),
        restore: () => ip('link', 'set', hostSide, 'up'),
        wrap: (argv) => ['ip', 'netns', 'exec', ns, ...argv],
      };
    },
    async destroy(): Promise<void> {
      for (const ns of namespaces) await ip('netns', 'del', ns).catch(() => undefined);
      await ip('link', 'del', bridge).catch(() => undefined);
    },
  };
}
