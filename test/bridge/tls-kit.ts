/**
 * Test kit for the Bridge over TLS: throwaway CAs, leaf certificates and CRLs made with the
 * `openssl` CLI, and an independent @grpc/grpc-js client loading the checked-in proto.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { silentLogger, type Logger } from '../../src/core/ports/logger.js';
import { readEnvConfig } from '../../src/main/config.js';
import { startHq, type RunningHq } from '../../src/main/start-hq.js';

const PROTO = fileURLToPath(new URL('../../proto/orchestrator.proto', import.meta.url));
export const OPENSSL = '/usr/bin/openssl';
export const HAVE_OPENSSL = existsSync(OPENSSL);
if (!HAVE_OPENSSL) console.warn(`bridge TLS tests skipped: ${OPENSSL} is not installed (apt-get install openssl)`);

export type Reply = Record<string, unknown>;
type Unary = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Reply) => void) => void;
export type BridgeClient = grpc.Client & Record<string, Unary>;
type BridgeCtor = new (addr: string, creds: grpc.ChannelCredentials) => BridgeClient;

export function bridgeCtor(): BridgeCtor {
  const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: String, enums: String, defaults: true });
  return (grpc.loadPackageDefinition(def) as unknown as { orchestrator: { Bridge: BridgeCtor } }).orchestrator.Bridge;
}

export function openssl(cwd: string, ...args: string[]): void {
  execFileSync(OPENSSL, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA: `<name>.key`, `<name>.crt`. */
export function makeCa(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

/** A leaf `<name>.key`/`<name>.crt` signed by CA `ca`, with the given X.509 v3 extensions. */
export function makeLeaf(dir: string, name: string, ca: string, cn: string, extensions: string, serial: number): void {
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(serial), '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
}

export const SERVER_EXT = 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n';
export const CLIENT_EXT = 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n';

/** A Tripcode call with a forged payload: reaching the backend answers it (not applied). */
export function tripcode(client: BridgeClient, token: string): Promise<Reply> {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) =>
    client['Tripcode']!({ payload: '1|NOT:A::CODE|bad-signature' }, md, { deadline: Date.now() + 30_000 }, (err, res) => (err !== null ? reject(err) : resolve(res))),
  );
}

/** The CA database `openssl ca` keeps for CA `ca` (revocations), created on first use. */
function caConfig(dir: string, ca: string): string {
  const config = join(dir, `${ca}-crl.cnf`);
  if (!existsSync(config)) {
    writeFileSync(join(dir, `${ca}-index.txt`), '');
    writeFileSync(config, `[ ca ]\ndefault_ca = crl_ca\n[ crl_ca ]\ndatabase = ${ca}-index.txt\ndefault_md = sha256\ndefault_crl_days = 2\n`);
  }
  return config;
}

/** Records `<leaf>.crt` as revoked by CA `ca`. */
export function revoke(dir: string, ca: string, leaf: string): void {
  openssl(dir, 'ca', '-config', caConfig(dir, ca), '-keyfile', `${ca}.key`, '-cert', `${ca}.crt`, '-revoke', `${leaf}.crt`);
}

/** Writes CA `ca`'s CRL (every certificate revoked so far) to `out`. */
export function makeCrl(dir: string, ca: string, out: string): void {
  openssl(dir, 'ca', '-config', caConfig(dir, ca), '-keyfile', `${ca}.key`, '-cert', `${ca}.crt`, '-gencrl', '-out', out);
}

/** The error a call ended with, or null when it went through. */
export function refusalOf(call: Promise<unknown>): Promise<grpc.ServiceError | null> {
  return call.then(() => null, (e: grpc.ServiceError) => e);
}

/** A running HQ serving the Bridge with mutual TLS, and grpc-js clients for it. */
export interface MutualTlsHq {
  readonly hq: RunningHq;
  /** The initial admin token. */
  readonly token: string;
  /** `127.0.0.1:port` of the Bridge. */
  readonly address: string;
  /** A client with these credentials (closed by `close`). */
  connect(creds: grpc.ChannelCredentials): BridgeClient;
  /** A client trusting `ca.crt` and presenting `<name>.crt` / `<name>.key` from the kit's directory. */
  connectAs(name: string): BridgeClient;
  close(): Promise<void>;
}

/**
 * Starts HQ in `<dir>/hq` with the Bridge on TLS (`server.crt`/`server.key` of `dir`) and client
 * certificates required from `ca.crt`; `env` adds settings (a CRL, the certificate binding).
 */
export async function startMutualTlsHq(dir: string, env: Record<string, string> = {}, logger: Logger = silentLogger): Promise<MutualTlsHq> {
  const hq = await startHq({
    dataDir: join(dir, 'hq'),
    host: '127.0.0.1',
    port: 0,
    env: readEnvConfig({
      CORTICAL_BRIDGE_PORT: '0',
      CORTICAL_BRIDGE_TLS_CERT: join(dir, 'server.crt'),
      CORTICAL_BRIDGE_TLS_KEY: join(dir, 'server.key'),
      CORTICAL_BRIDGE_CLIENT_CA: join(dir, 'ca.crt'),
      ...env,
    }),
    logger,
  });
  if (hq.bridgeUrl === null || !/^https:\/\/127\.0\.0\.1:\d+$/.test(hq.bridgeUrl)) throw new Error(`expected the Bridge on https://127.0.0.1:<port>, got ${hq.bridgeUrl}`);
  const address = hq.bridgeUrl.replace(/^https:\/\//, '');
  const clients: BridgeClient[] = [];
  const connect = (creds: grpc.ChannelCredentials): BridgeClient => {
    const client = new (bridgeCtor())(address, creds);
    clients.push(client);
    return client;
  };
  const pem = (name: string): Buffer => readFileSync(join(dir, name));
  return {
    hq,
    token: hq.createdAdminToken!,
    address,
    connect,
    connectAs: (name) => connect(grpc.credentials.createSsl(pem('ca.crt'), pem(`${name}.key`), pem(`${name}.crt`))),
    close: async () => {
      for (const c of clients) c.close();
      await hq.close();
    },
  };
}
