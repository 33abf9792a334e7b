import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EgressGateway, EgressGrant } from '../../../core/ports/egress.js';
import { FIXTURES_DIR } from '../runtime.contract.js';
import { BubblewrapRuntime, DEFAULT_FORWARDER_PATH } from './bubblewrap-runtime.js';
import { nodeSpec, runToEnd } from './sleeve-test-kit.js';

const available = await BubblewrapRuntime.available();

/** A gateway whose endpoints answer `proxy <first request line>` and record their lifecycle. */
class FakeGateway implements EgressGateway {
  readonly opened: { sleeveId: string; allow: readonly string[] }[] = [];
  released = 0;
  private readonly servers: Server[] = [];
  constructor(private readonly dir: string) {}

  async open(input: { sleeveId: string; allow: readonly string[] }): Promise<EgressGrant> {
    this.opened.push(input);
    const socketPath = join(this.dir, `${input.sleeveId}.sock`);
    const server = createServer((s) => s.once('data', (d) => s.end(`proxy ${d.toString().split('\r\n')[0]}\n`)));
    await new Promise<void>((r) => server.listen(socketPath, r));
    this.servers.push(server);
    return {
      socketPath,
      release: async () => {
        this.released += 1;
        await new Promise<void>((r) => server.close(() => r()));
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

const CLIENT = `
const s = require('node:net').connect(3128, '127.0.0.1');
s.on('connect', () => s.write('CONNECT example.com:443 HTTP/1.1\\r\\n\\r\\n'));
s.on('data', (d) => process.stdout.write(d));
s.on('error', (e) => console.log('error ' + e.code));
s.on('close', () => console.log(JSON.stringify([process.env.HTTPS_PROXY, process.env.http_proxy, process.env.NO_PROXY])));`;

const forwarders: [string, string][] = [['a stand-in forwarder', join(FIXTURES_DIR, 'stub-egress-forwarder.mjs')]];
if (existsSync(DEFAULT_FORWARDER_PATH)) forwarders.push(['the egress forwarder', DEFAULT_FORWARDER_PATH]);

describe.skipIf(!available)("BubblewrapRuntime network 'allowlist'", () => {
  const dir = mkdtempSync(join(tmpdir(), 'cortical-bwrap-egress-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [label, forwarderPath] of forwarders) {
    it(`reaches the gateway only through ${label} and releases the grant at exit`, async () => {
      const gateway = new FakeGateway(dir);
      const runtime = new BubblewrapRuntime({ egress: gateway, forwarderPath });
      const r = await runToEnd(runtime, {
        ...nodeSpec(dir, CLIENT, [], { network: 'allowlist' }),
        sandbox: {
          network: { mode: 'allowlist', allow: ['example.com:443'] },
          limits: nodeSpec(dir, '').sandbox!.limits,
        },
      });
      expect(r.stdout).toEqual([
        'proxy CONNECT example.com:443 HTTP/1.1',
        JSON.stringify(['http://127.0.0.1:3128', 'http://127.0.0.1:3128', '']),
      ]);
      expect(gateway.opened).toHaveLength(1);
      expect(gateway.opened[0]?.allow).toEqual(['example.com:443']);
      expect(gateway.released).toBe(1);
      await gateway.close();
    });
  }

  it('refuses to start without a forwarder program', async () => {
    const gateway = new FakeGateway(dir);
    const runtime = new BubblewrapRuntime({ egress: gateway, forwarderPath: join(dir, 'missing.mjs') });
    await expect(runtime.spawn(nodeSpec(dir, '1', [], { network: 'allowlist' }))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(gateway.opened).toHaveLength(0);
  });
});

describe.skipIf(available)("BubblewrapRuntime network 'allowlist'", () => {
  it.skip('skipped: bwrap not available', () => undefined);
});
