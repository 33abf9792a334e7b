/**
 * The allow/deny decision for one parsed target: allowlist match, then (for names) resolution
 * and the internal-address check. The addresses returned are the ones to dial, so the name is
 * resolved exactly once and a second, different answer (DNS rebinding) is never used.
 */
import type { Allowlist } from './allowlist.js';
import type { ParsedAuthority } from './host-syntax.js';
import { canonicalIp, isInternalAddress } from './internal-address.js';

/** Resolves a host name to its IP addresses (textual, IPv4 or IPv6). */
export type HostResolver = (host: string) => Promise<readonly string[]>;

export type Verdict =
  | { readonly allowed: true; readonly why: string; readonly addresses: readonly string[] }
  | { readonly allowed: false; readonly why: string };

function errorCode(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return 'error';
}

export async function decide(target: ParsedAuthority, allowlist: Allowlist, resolve: HostResolver): Promise<Verdict> {
  const match = allowlist.match(target);
  if (match === null) return { allowed: false, why: 'not in allowlist' };
  if (target.kind !== 'name') return { allowed: true, why: 'allowlisted', addresses: [target.host] };
  let answers: readonly string[];
  try {
    answers = await resolve(target.host);
  } catch (e) {
    return { allowed: false, why: `cannot resolve host (${errorCode(e)})` };
  }
  const addresses: string[] = [];
  for (const answer of answers) {
    const ip = canonicalIp(answer);
    if (ip === null) return { allowed: false, why: 'resolver returned a non-IP answer' };
    // An exact name entry is a grant for whatever that name resolves to; a wildcard is not.
    if (match !== 'exact' && isInternalAddress(ip) && !allowlist.allowsAddress(ip, target.port)) {
      return { allowed: false, why: `resolves to internal address ${ip}` };
    }
    addresses.push(ip);
  }
  if (addresses.length === 0) return { allowed: false, why: 'host has no addresses' };
  return { allowed: true, why: match === 'exact' ? 'allowlisted' : 'allowlisted by wildcard', addresses };
}
