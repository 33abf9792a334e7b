/**
 * Strict host and authority syntax for the egress proxy. The proxy parses a request target once
 * with these rules, matches the result against the allowlist and dials exactly that result, so
 * the check and the connection can never disagree about which host is meant.
 *
 * Anything ambiguous is rejected rather than normalised: NUL, control characters, whitespace,
 * non-ASCII, percent-encoding, userinfo, empty labels, over-long names, and the integer, octal,
 * hex and shortened IPv4 forms (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`) that some parsers
 * turn into a different address than the text suggests.
 */
import { isIPv6 } from 'node:net';

export type HostKind = 'name' | 'ipv4' | 'ipv6';

export interface ParsedHost {
  readonly kind: HostKind;
  /** Lowercase name without a trailing dot, dotted-quad IPv4, or canonical IPv6 without brackets. */
  readonly host: string;
}

export interface ParsedAuthority extends ParsedHost {
  readonly port: number;
}

export type Parsed<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly why: string };

const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
/** Longest input looked at: a 253-character name, brackets, a port and a trailing dot. */
const MAX_AUTHORITY_LENGTH = 270;

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;
/** A last label that a URL parser would read as (part of) an IPv4 address. */
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/;
const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const PORT = /^[1-9][0-9]{0,4}$/;
const IPV6_CHARS = /^[0-9a-f:.]+$/;

function fail(why: string): { ok: false; why: string } {
  return { ok: false, why };
}

/** Rejects bytes that have no place in a host: NUL, controls, whitespace, non-ASCII, `%`, `@`. */
export function badHostCharacter(raw: string): string | null {
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw.charCodeAt(i);
    if (c === 0) return 'NUL byte in host';
    if (c < 0x20 || c === 0x7f) return 'control character in host';
    if (c === 0x20) return 'whitespace in host';
    if (c > 0x7f) return 'non-ASCII character in host';
    if (c === 0x25) return 'percent-encoding in host';
    if (c === 0x40) return 'userinfo in host';
  }
  return null;
}

/** Canonical text of an IPv6 address (RFC 5952 style, lowercase, no brackets), or null. */
export function canonicalIpv6(raw: string): string | null {
  const lower = raw.toLowerCase();
  if (!IPV6_CHARS.test(lower) || !isIPv6(lower)) return null;
  // Only reached with a validated literal: the URL parser merely serialises it.
  return new URL(`http://[${lower}]/`).hostname.slice(1, -1);
}

function isCanonicalDottedQuad(name: string): boolean {
  const parts = name.split('.');
  return parts.length === 4 && parts.every((p) => DECIMAL_OCTET.test(p) && Number(p) <= 255);
}

/** Parses a bare host (no port): a name, a dotted-quad IPv4 or a bracketed IPv6 literal. */
export function parseHost(raw: string): Parsed<ParsedHost> {
  if (raw.length === 0) return fail('empty host');
  if (raw.length > MAX_AUTHORITY_LENGTH) return fail('host too long');
  const bad = badHostCharacter(raw);
  if (bad !== null) return fail(bad);
  if (raw.startsWith('[')) {
    if (!raw.endsWith(']')) return fail('malformed IPv6 literal');
    const v6 = canonicalIpv6(raw.slice(1, -1));
    return v6 === null ? fail('malformed IPv6 literal') : { ok: true, kind: 'ipv6', host: v6 };
  }
  if (raw.includes(':')) return fail('unexpected colon in host');
  let name = raw.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length === 0) return fail('empty host');
  if (name.length > MAX_NAME_LENGTH) return fail('host name too long');
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) return fail('empty label in host');
    if (label.length > MAX_LABEL_LENGTH) return fail('host label too long');
    if (!LABEL.test(label)) return fail('invalid character in host');
  }
  const last = labels[labels.length - 1] ?? '';
  if (NUMERIC_LABEL.test(last)) {
    return isCanonicalDottedQuad(name) ? { ok: true, kind: 'ipv4', host: name } : fail('malformed host: non-canonical IPv4 form');
  }
  return { ok: true, kind: 'name', host: name };
}

/**
 * Parses `host[:port]`. `defaultPort` null means the port is required (CONNECT). Ports are
 * decimal 1–65535 without sign or leading zeros.
 */
export function parseAuthority(raw: string, defaultPort: number | null): Parsed<ParsedAuthority> {
  if (raw.length === 0) return fail('empty host');
  if (raw.length > MAX_AUTHORITY_LENGTH) return fail('host too long');
  const bad = badHostCharacter(raw);
  if (bad !== null) return fail(bad);
  let hostPart: string;
  let portPart: string | null;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close < 0) return fail('malformed IPv6 literal');
    hostPart = raw.slice(0, close + 1);
    const rest = raw.slice(close + 1);
    if (rest === '') portPart = null;
    else if (rest.startsWith(':')) portPart = rest.slice(1);
    else return fail('malformed IPv6 literal');
  } else {
    const colon = raw.indexOf(':');
    if (colon !== raw.lastIndexOf(':')) return fail('unexpected colon in host');
    hostPart = colon < 0 ? raw : raw.slice(0, colon);
    portPart = colon < 0 ? null : raw.slice(colon + 1);
  }
  let port: number;
  if (portPart === null) {
    if (defaultPort === null) return fail('port required');
    port = defaultPort;
  } else {
    if (!PORT.test(portPart)) return fail('invalid port');
    port = Number(portPart);
    if (port > 65535) return fail('invalid port');
  }
  const host = parseHost(hostPart);
  if (!host.ok) return host;
  return { ok: true, kind: host.kind, host: host.host, port };
}

/** `host:port` as written in a request line (`[v6]:port` for IPv6). */
export function formatAuthority(a: ParsedAuthority): string {
  return a.kind === 'ipv6' ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
