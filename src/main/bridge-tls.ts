/**
 * The Bridge's TLS material from the environment (CORTICAL_BRIDGE_TLS_CERT / _KEY,
 * CORTICAL_BRIDGE_CLIENT_CA, CORTICAL_BRIDGE_CLIENT_CRL), the watch that re-reads the client CRL
 * when its file changes, and the binding of tokens to client certificates.
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Principal, TokenRecord } from '../core/auth.js';
import type { Logger } from '../core/ports/logger.js';
import type { BridgePeer, BridgeServer, BridgeTlsOptions } from '../interfaces/bridge/bridge-server.js';
import type { EnvConfig } from './config.js';

async function readPem(variable: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`${variable}: cannot read ${file} (expected a readable PEM file): ${reason}`, { cause: e });
  }
}

/**
 * The Bridge's TLS material from the files the environment names (the env schema has checked that
 * cert and key come together, and that a CRL comes with a client CA); undefined = plain text.
 */
export async function bridgeTlsFromEnv(env: EnvConfig): Promise<BridgeTlsOptions | undefined> {
  const certFile = env.CORTICAL_BRIDGE_TLS_CERT;
  const keyFile = env.CORTICAL_BRIDGE_TLS_KEY;
  if (certFile === undefined || keyFile === undefined) return undefined;
  const cert = await readPem('CORTICAL_BRIDGE_TLS_CERT', certFile);
  const key = await readPem('CORTICAL_BRIDGE_TLS_KEY', keyFile);
  const caFile = env.CORTICAL_BRIDGE_CLIENT_CA;
  if (caFile === undefined) return { cert, key };
  const clientCa = await readPem('CORTICAL_BRIDGE_CLIENT_CA', caFile);
  const crlFile = env.CORTICAL_BRIDGE_CLIENT_CRL;
  if (crlFile === undefined) return { cert, key, clientCa };
  return { cert, key, clientCa, clientCrl: await readPem('CORTICAL_BRIDGE_CLIENT_CRL', crlFile) };
}

/**
 * Checks the client CRL file every `intervalMs` and hands a changed one to the Bridge (which then
 * checks new handshakes against it and asks open sessions to reconnect). A file that is gone or
 * not a usable CRL is logged and the previous list stays in force. Returns the stop function.
 */
export function watchClientCrl(input: { file: string; intervalMs: number; bridge: Pick<BridgeServer, 'updateClientCrl'>; logger: Logger }): () => void {
  const { file, bridge, logger } = input;
  let reloading = Promise.resolve();
  const onChange = (curr: Stats): void => {
    if (curr.mtimeMs === 0) {
      logger.warn({ file }, 'the Bridge client CRL file is gone; the last list read stays in force');
      return;
    }
    reloading = reloading.then(async () => {
      try {
        bridge.updateClientCrl(await readPem('CORTICAL_BRIDGE_CLIENT_CRL', file));
        logger.info({ file }, 'Bridge client CRL re-read');
      } catch (e) {
        logger.error({ file, err: e instanceof Error ? e.message : String(e) }, 'the Bridge client CRL was not re-read; the previous list stays in force');
      }
    });
  };
  watchFile(file, { interval: input.intervalMs, persistent: false }, onChange);
  return () => unwatchFile(file, onChange);
}

/**
 * CORTICAL_BRIDGE_CLIENT_CERT_BINDING=label: a Bridge call is let through only when its client
 * certificate's subject CN equals the label of its bearer token, so a token taken from one
 * machine does not work with another machine's certificate. Returns the refusal, or null.
 */
export function labelBinding(getToken: (id: string) => Promise<TokenRecord | null>): (principal: Principal, peer: BridgePeer) => Promise<string | null> {
  return async (principal, peer) => {
    if (peer.commonName === null) return 'client certificate binding is on: the client certificate has no subject common name (CN) to match the token label';
    const label = (await getToken(principal.tokenId))?.label ?? null;
    if (label === null) {
      return `client certificate binding is on: token ${principal.tokenId} has no label; create Bridge tokens with --label equal to their client certificate's CN`;
    }
    if (label !== peer.commonName) return `client certificate binding is on: token ${principal.tokenId} is labelled '${label}', but the client certificate's CN is '${peer.commonName}'`;
    return null;
  };
}
