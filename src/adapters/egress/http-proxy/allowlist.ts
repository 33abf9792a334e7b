/**
 * A sleeve's egress allowlist. Entries:
 * - `host` — that exact name on ports 80 and 443;
 * - `host:port` — that exact name on that port only;
 * - `*.example.com[:port]` — any subdomain of example.com (not example.com itself);
 * - IP literals: `192.0.2.7[:port]`, `[2001:db8::7][:port]` (a bare IPv6 literal has no port).
 * Entries go through the same strict parser as request targets, so an entry and a request that
 * spell one host differently either both normalise to the same text or are rejected.
 */
import { isIPv6 } from 'node:net';
import { TerminalError } from '../../../core/errors.js';
import { parseAuthority } from './host-syntax.js';
import type { HostKind, ParsedAuthority } from './host-syntax.js';

/** Ports a bare `host` entry grants. */
export const DEFAULT_ALLOWED_PORTS: readonly number[] = [80, 443];

/** How a request matched: an exact name or IP entry, or only a wildcard entry. */
export type AllowMatch = 'exact' | 'wildcard';

export interface AllowEntry {
  readonly entry: string;
  readonly kind: HostKind | 'wildcard';
  /** Host as normalised; for a wildcard, the parent domain (`example.com` for `*.example.com`). */
  readonly host: string;
  readonly ports: readonly number[];
}

const UNUSABLE_IPS = new Set(['0.0.0.0', '255.255.255.255', '::']);

function invalid(entry: string, why: string): TerminalError {
  return new TerminalError('VALIDATION_FAILED', `invalid allowlist entry ${JSON.stringify(entry)}: ${why}`, { entry, why });
}

/** Parses one entry; throws a VALIDATION_FAILED error naming the entry and the problem. */
export function parseAllowEntry(entry: string): AllowEntry {
  const wildcard = entry.startsWith('*.');
  const text = wildcard ? entry.slice(2) : entry;
  if (text.includes('*')) throw invalid(entry, 'a wildcard is only allowed as a leading `*.`');
  // A bare IPv6 literal cannot carry a port; everything else goes through the authority parser.
  const bareV6 = !wildcard && !text.startsWith('[') && isIPv6(text);
  const authority = bareV6 ? `[${text}]` : text;
  const hasPort = !bareV6 && /:[^:\]]*$/.test(authority) && !authority.endsWith(']');
  const parsed = parseAuthority(authority, 80);
  if (!parsed.ok) throw invalid(entry, parsed.why);
  const ports = hasPort ? [parsed.port] : DEFAULT_ALLOWED_PORTS;
  if (wildcard) {
    if (parsed.kind !== 'name') throw invalid(entry, 'a wildcard needs a domain name, not an IP address');
    if (!parsed.host.includes('.')) throw invalid(entry, 'a wildcard needs a domain with at least two labels');
    return { entry, kind: 'wildcard', host: parsed.host, ports };
  }
  if (UNUSABLE_IPS.has(parsed.host)) throw invalid(entry, 'unspecified or broadcast address');
  return { entry, kind: parsed.kind, host: parsed.host, ports };
}

export class Allowlist {
  private constructor(readonly entries: readonly AllowEntry[]) {}

  /** Validates every entry; throws on the first invalid one. */
  static parse(entries: readonly string[]): Allowlist {
    return new Allowlist(entries.map(parseAllowEntry));
  }

  /** How a parsed target is allowed, or null if no entry covers it. Exact entries win. */
  match(target: ParsedAuthority): AllowMatch | null {
    let best: AllowMatch | null = null;
    for (const e of this.entries) {
      if (!e.ports.includes(target.port)) continue;
      if (e.kind === 'wildcard') {
        if (target.kind === 'name' && target.host.endsWith(`.${e.host}`)) best = 'wildcard';
      } else if (e.kind === target.kind && e.host === target.host) {
        return 'exact';
      }
    }
    return best;
  }

  /** Whether an IP address (canonical form) is itself an entry for this port. */
  allowsAddress(ip: string, port: number): boolean {
    return this.entries.some((e) => e.kind !== 'wildcard' && e.kind !== 'name' && e.host === ip && e.ports.includes(port));
  }
}
