// The in-sandbox half of the egress gateway. Listens on 127.0.0.1:<listenPort> and pipes every
// TCP connection, byte for byte, to the node's proxy on <unixSocketPath>, so that
// HTTP_PROXY/HTTPS_PROXY=http://127.0.0.1:<listenPort> works inside a sleeve with no network.
// It decides nothing: the proxy behind the socket checks every request.
//
// Usage: node egress-forwarder.mjs <listenPort> <unixSocketPath>
// A listenPort of 0 picks a free port and prints it on stdout (tools and tests).
// Exits when its parent process ends, so it never keeps a sandbox alive on its own.
import net from 'node:net';

const PARENT_CHECK_MS = 500;

function usage(message) {
  process.stderr.write(`egress-forwarder: ${message}\nusage: egress-forwarder.mjs <listenPort> <unixSocketPath>\n`);
  process.exit(2);
}

const [portArg, socketPath] = process.argv.slice(2);
if (portArg === undefined || socketPath === undefined || socketPath === '') usage('missing arguments');
if (!/^(0|[1-9][0-9]{0,4})$/.test(portArg) || Number(portArg) > 65535) usage(`invalid port ${JSON.stringify(portArg)}`);
const listenPort = Number(portArg);

const open = new Set();

function relay(client) {
  const upstream = net.connect(socketPath);
  open.add(client);
  open.add(upstream);
  const done = () => {
    open.delete(client);
    open.delete(upstream);
  };
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => {
    upstream.destroy();
    done();
  });
  upstream.on('close', () => {
    // Let what the proxy sent drain to the client before closing it.
    if (!client.destroyed) client.end();
    done();
  });
  client.pipe(upstream);
  upstream.pipe(client);
}

const server = net.createServer({ allowHalfOpen: false }, relay);
server.on('error', (e) => {
  process.stderr.write(`egress-forwarder: ${e.message}\n`);
  process.exit(1);
});
server.listen(listenPort, '127.0.0.1', () => {
  if (listenPort === 0) process.stdout.write(`${server.address().port}\n`);
});

function shutdown() {
  server.close();
  for (const s of open) s.destroy();
  process.exit(0);
}

// Started in the background by a shell: when that shell goes, the forwarder is re-parented.
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid !== parent) shutdown();
}, PARENT_CHECK_MS);
watch.unref();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, shutdown);
