/** What the request and tunnel handlers of one sleeve's proxy endpoint share. */
import type { Socket } from 'node:net';
import type { EgressDecision } from '../../../core/ports/egress.js';
import type { Logger } from '../../../core/ports/logger.js';
import type { Allowlist } from './allowlist.js';
import type { HostResolver } from './egress-policy.js';

export interface ProxyContext {
  readonly sleeveId: string;
  readonly allowlist: Allowlist;
  readonly resolve: HostResolver;
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  /** Records a decision (stamps sleeve and time, reports it, never throws). */
  decide(d: Omit<EgressDecision, 'sleeveId' | 'at'>): void;
  /** Registers an upstream socket so release() can cut it. */
  track(socket: Socket): void;
  /** Whether the endpoint has been released (late dials are dropped). */
  readonly released: boolean;
}

const MAX_REQUEST_TEXT = 300;

/** The request line as received, for logs: escapes control and non-ASCII bytes, bounded. */
export function describeRequest(method: string, target: string): string {
  let text = '';
  for (const ch of `${method} ${target}`) {
    const c = ch.charCodeAt(0);
    text += c < 0x20 || c >= 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return text.length > MAX_REQUEST_TEXT ? `${text.slice(0, MAX_REQUEST_TEXT)}...` : text;
}

/** A complete HTTP/1.1 response for a raw socket (tunnels and unparseable requests). */
export function rawResponse(status: number, reason: string, body: string): string {
  const bytes = Buffer.byteLength(body);
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${bytes}\r\nConnection: close\r\n\r\n${body}`;
}

/** The body of a denial: short, names the reason, never echoes the raw request. */
export function denialBody(why: string): string {
  return `egress denied: ${why}\n`;
}
