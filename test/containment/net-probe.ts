/**
 * A small node program the agent runs inside the sleeve to try the network, and the raw
 * proxy client used against the egress gateway. Each prints one JSON line.
 */

export interface ProbeResult {
  readonly result: 'connected' | 'sent' | 'resolved' | 'error';
  readonly code?: string;
  readonly data?: string;
  readonly addresses?: string[];
}

/** `node net-probe.mjs tcp <host> <port>` | `udp <host> <port>` | `lookup <name>` | `dns <server:port> <name>` | `abstract <name>` */
export const NET_PROBE_SOURCE = String.raw`
import net from 'node:net';
import dgram from 'node:dgram';
import dns from 'node:dns';
const [mode, a, b] = process.argv.slice(2);
const done = (o) => { console.log(JSON.stringify(o)); process.exit(0); };
const fail = (e) => done({ result: 'error', code: e.code ?? String(e.message) });
setTimeout(() => done({ result: 'error', code: 'PROBE_TIMEOUT' }), 4000);
if (mode === 'tcp' || mode === 'abstract') {
  const opts = mode === 'tcp' ? { host: a, port: Number(b) } : { path: '\0' + a };
  const s = net.connect(opts);
  let data = '';
  s.on('connect', () => s.write('probe\n'));
  s.on('data', (d) => { data += d; });
  s.on('end', () => done({ result: 'connected', data }));
  s.on('error', fail);
} else if (mode === 'udp') {
  const s = dgram.createSocket('udp4');
  s.on('error', fail);
  s.send('probe', Number(b), a, (e) => (e ? fail(e) : setTimeout(() => done({ result: 'sent' }), 200)));
} else if (mode === 'lookup') {
  dns.lookup(a, { all: true }, (e, addrs) => (e ? fail(e) : done({ result: 'resolved', addresses: addrs.map((x) => x.address) })));
} else if (mode === 'dns') {
  const r = new dns.Resolver({ timeout: 1000, tries: 1 });
  r.setServers([a]);
  r.resolve4(b, (e, addrs) => (e ? fail(e) : done({ result: 'resolved', addresses: addrs })));
} else {
  done({ result: 'error', code: 'BAD_MODE' });
}
`;

export function parseProbe(stdout: string): ProbeResult | null {
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  return line === undefined ? null : (JSON.parse(line) as ProbeResult);
}

/**
 * `node proxy-client.mjs <base64 request>`: sends the raw bytes to the proxy named by
 * HTTP_PROXY (the sleeve's forwarder) and prints the status line and body it got back.
 */
export const PROXY_CLIENT_SOURCE = String.raw`
import net from 'node:net';
const raw = Buffer.from(process.argv[2], 'base64');
const proxy = new URL(process.env.HTTP_PROXY ?? process.env.http_proxy ?? 'http://127.0.0.1:3128');
let data = '';
const done = (o) => { console.log(JSON.stringify(o)); process.exit(0); };
setTimeout(() => done({ result: 'error', code: 'PROBE_TIMEOUT', data }), 6000);
const started = Date.now();
function attempt() {
  const s = net.connect({ host: proxy.hostname, port: Number(proxy.port || 80) });
  let connected = false;
  s.on('connect', () => { connected = true; s.write(raw); });
  s.on('data', (d) => {
    data += d.toString('latin1');
    // A CONNECT that was allowed gets a 200 and then a tunnel: speak HTTP through it.
    if (/^HTTP\/1\.[01] 200/.test(data) && raw.toString('latin1').startsWith('CONNECT') && !data.includes('tunnel-sent')) {
      data += '\n[tunnel-sent]\n';
      s.write('GET /through-tunnel HTTP/1.1\r\nHost: tunnel\r\nConnection: close\r\n\r\n');
    }
  });
  s.on('end', () => done({ result: 'connected', data }));
  s.on('error', (e) => {
    // The forwarder may still be starting: retry a refused connection for a while.
    if (!connected && e.code === 'ECONNREFUSED' && Date.now() - started < 3000) setTimeout(attempt, 20);
    else done({ result: 'error', code: e.code, data });
  });
}
attempt();
`;

/**
 * A shell prefix that waits (up to 3 s) until the sleeve's egress forwarder accepts
 * connections, for tools like curl that would fail at once on a refused proxy.
 */
export function waitForProxy(nodePath: string): string {
  const js =
    "const n=require('net'),t=Date.now(),u=new URL(process.env.HTTP_PROXY);" +
    "(function f(){const s=n.connect(Number(u.port),u.hostname);s.on('connect',()=>s.destroy());" +
    "s.on('error',()=>Date.now()-t<3000?setTimeout(f,20):process.exit(1))})()";
  return `'${nodePath}' -e "${js}"; `;
}

export function statusOf(data: string | undefined): number | null {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(data ?? '');
  return m === null ? null : Number(m[1]);
}
