/**
 * Addresses that belong to the node or its local networks rather than the internet: loopback,
 * unspecified, private, shared (CGNAT), link-local (cloud metadata lives there), benchmarking,
 * multicast and reserved ranges. A name that resolves into them is how DNS rebinding reaches
 * services on the host, so such results need an explicit grant.
 */
import { BlockList, isIPv4 } from 'node:net';
import { canonicalIpv6 } from './host-syntax.js';

const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or NAT64 (`64:ff9b::/96`) address. */
function embeddedIpv4(v6: string): string | null {
  const m = /^(?:::ffff|64:ff9b:):(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,4})$/.exec(v6);
  if (m === null) return null;
  const hi = parseInt(m[1] ?? '0', 16);
  const lo = parseInt(m[2] ?? '0', 16);
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** Canonical form of a resolver's answer (dotted quad or canonical IPv6), or null if not an IP. */
export function canonicalIp(raw: string): string | null {
  if (isIPv4(raw)) return raw.split('.').map((p) => String(Number(p))).join('.');
  return canonicalIpv6(raw);
}

/** Whether an IP address (canonical form) is internal to the node or its networks. */
export function isInternalAddress(ip: string): boolean {
  if (isIPv4(ip)) return INTERNAL.check(ip, 'ipv4');
  const v4 = embeddedIpv4(ip);
  if (v4 !== null) return INTERNAL.check(v4, 'ipv4');
  return INTERNAL.check(ip, 'ipv6');
}
