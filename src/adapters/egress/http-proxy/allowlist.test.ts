import { describe, expect, it } from 'vitest';
import { Allowlist, parseAllowEntry } from './allowlist.js';
import { parseAuthority } from './host-syntax.js';
import type { ParsedAuthority } from './host-syntax.js';

function target(authority: string): ParsedAuthority {
  const p = parseAuthority(authority, null);
  if (!p.ok) throw new Error(p.why);
  return p;
}

describe('allowlist entries', () => {
  it('parses names, ports, wildcards and IP literals', () => {
    expect(parseAllowEntry('Example.COM.')).toMatchObject({ kind: 'name', host: 'example.com', ports: [80, 443] });
    expect(parseAllowEntry('example.com:8443')).toMatchObject({ kind: 'name', host: 'example.com', ports: [8443] });
    expect(parseAllowEntry('*.example.com')).toMatchObject({ kind: 'wildcard', host: 'example.com', ports: [80, 443] });
    expect(parseAllowEntry('*.example.com:22')).toMatchObject({ kind: 'wildcard', ports: [22] });
    expect(parseAllowEntry('192.0.2.7')).toMatchObject({ kind: 'ipv4', host: '192.0.2.7', ports: [80, 443] });
    expect(parseAllowEntry('[2001:DB8:0::7]:443')).toMatchObject({ kind: 'ipv6', host: '2001:db8::7', ports: [443] });
    expect(parseAllowEntry('2001:db8::7')).toMatchObject({ kind: 'ipv6', host: '2001:db8::7', ports: [80, 443] });
  });
});

describe('Allowlist.match', () => {
  const list = Allowlist.parse(['example.com', 'api.test:8080', '*.cdn.test', '192.0.2.7:22', '[2001:db8::7]']);

  it('a bare host means ports 80 and 443 only', () => {
    expect(list.match(target('example.com:443'))).toBe('exact');
    expect(list.match(target('example.com:80'))).toBe('exact');
    expect(list.match(target('example.com:22'))).toBeNull();
  });

  it('host:port is exact', () => {
    expect(list.match(target('api.test:8080'))).toBe('exact');
    expect(list.match(target('api.test:443'))).toBeNull();
  });

  it('a wildcard covers subdomains (any depth) but not the domain itself or look-alikes', () => {
    expect(list.match(target('a.cdn.test:443'))).toBe('wildcard');
    expect(list.match(target('a.b.cdn.test:443'))).toBe('wildcard');
    expect(list.match(target('cdn.test:443'))).toBeNull();
    expect(list.match(target('evilcdn.test:443'))).toBeNull();
    expect(list.match(target('cdn.test.evil.test:443'))).toBeNull();
  });

  it('IP entries match only the same address family and canonical text', () => {
    expect(list.match(target('192.0.2.7:22'))).toBe('exact');
    expect(list.match(target('[2001:db8:0:0::7]:443'))).toBe('exact');
    expect(list.match(target('[::ffff:192.0.2.7]:22'))).toBeNull();
    expect(list.allowsAddress('192.0.2.7', 22)).toBe(true);
    expect(list.allowsAddress('192.0.2.7', 80)).toBe(false);
  });

  it('a sub-label of an exact name is not allowed', () => {
    expect(list.match(target('www.example.com:443'))).toBeNull();
  });
});
