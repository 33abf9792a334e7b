/** Opens a TCP connection to the first reachable of a target's already-checked addresses. */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

function dialOne(ip: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ip, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connect to ${ip}:${port} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      // Callers watch 'close'; an error before they attach their own handler must not crash.
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    });
  });
}

/** Tries each address in order; rejects with the last error if none accepts. */
export async function dial(addresses: readonly string[], port: number, timeoutMs: number): Promise<Socket> {
  let last: unknown = new Error('no addresses to dial');
  for (const ip of addresses) {
    try {
      return await dialOne(ip, port, timeoutMs);
    } catch (e) {
      last = e;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
