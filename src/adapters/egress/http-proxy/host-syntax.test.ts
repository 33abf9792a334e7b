import { describe, expect, it } from 'vitest';
import { parseAuthority, parseHost } from './host-syntax.js';
import { isInternalAddress } from './internal-address.js';
import { parseHttpTarget } from './request-target.js';

describe('parseHost', () => {
  it.each([
    ['Example.COM', 'name', 'example.com'],
    ['example.com.', 'name', 'example.com'],
    ['xn--bcher-kva.example', 'name', 'xn--bcher-kva.example'],
    ['_acme.example.com', 'name', '_acme.example.com'],
    ['192.0.2.1', 'ipv4', '192.0.2.1'],
    ['192.0.2.1.', 'ipv4', '192.0.2.1'],
    ['[::1]', 'ipv6', '::1'],
    ['[2001:DB8:0:0:0:0:0:1]', 'ipv6', '2001:db8::1'],
  ])('accepts %j', (raw, kind, host) => {
    expect(parseHost(raw)).toEqual({ ok: true, kind, host });
  });

  it.each([
    ['', 'empty host'],
    ['.', 'empty host'],
    ['example.com..', 'empty label'],
    ['a\u0000b', 'NUL byte'],
    ['a%2eb', 'percent-encoding'],
    ['a b', 'whitespace'],
    ['a\u000bb', 'control character'],
    ['bücher.example', 'non-ASCII'],
    ['u@example.com', 'userinfo'],
    ['2130706433', 'non-canonical IPv4'],
    ['0x7f000001', 'non-canonical IPv4'],
    ['0177.0.0.1', 'non-canonical IPv4'],
    ['127.1', 'non-canonical IPv4'],
    ['256.0.0.1', 'non-canonical IPv4'],
    ['example.0x', 'non-canonical IPv4'],
    ['example.123', 'non-canonical IPv4'],
    ['a_b.exa$mple', 'invalid character'],
    ['a\\b', 'invalid character'],
    ['-a.example', 'invalid character'],
    ['[::1', 'malformed IPv6'],
    ['[fe80::1%25eth0]', 'percent-encoding'],
    ['[::ffff:0x7f.1]', 'malformed IPv6'],
    [`${'a'.repeat(64)}.example`, 'label too long'],
    [`${'abcdefghi.'.repeat(26)}ex`, 'too long'],
  ])('rejects %j', (raw, why) => {
    const r = parseHost(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.why).toContain(why);
  });
});

describe('parseAuthority', () => {
  it('requires a strict port', () => {
    expect(parseAuthority('example.com:443', null)).toMatchObject({ ok: true, port: 443 });
    expect(parseAuthority('[::1]:8080', null)).toMatchObject({ ok: true, host: '::1', port: 8080 });
    expect(parseAuthority('example.com', 80)).toMatchObject({ ok: true, port: 80 });
    for (const bad of ['example.com', 'example.com:', 'example.com:+1', 'example.com:0443', 'example.com:70000', 'a:1:2', '[::1]x']) {
      expect(parseAuthority(bad, null).ok).toBe(false);
    }
  });
});

describe('parseHttpTarget', () => {
  it('takes the authority up to the first / ? or #', () => {
    expect(parseHttpTarget('http://Example.com:8080/a/b?c=d#frag')).toMatchObject({ ok: true, host: 'example.com', port: 8080, path: '/a/b?c=d' });
    expect(parseHttpTarget('HTTP://example.com')).toMatchObject({ ok: true, port: 80, path: '/' });
    expect(parseHttpTarget('http://example.com?q')).toMatchObject({ ok: true, path: '/?q' });
    expect(parseHttpTarget('http://evil.test/@example.com')).toMatchObject({ ok: true, host: 'evil.test' });
  });

  it('rejects userinfo, other schemes and origin-form', () => {
    expect(parseHttpTarget('http://example.com@evil.test/')).toMatchObject({ ok: false, why: 'userinfo in host' });
    expect(parseHttpTarget('http://example.com\\@evil.test/')).toMatchObject({ ok: false });
    expect(parseHttpTarget('ftp://example.com/')).toMatchObject({ ok: false, why: 'unsupported scheme' });
    expect(parseHttpTarget('/path')).toMatchObject({ ok: false });
  });
});

describe('isInternalAddress', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:7f00:1', '64:ff9b::a9fe:a9fe'])(
    '%s is internal',
    (ip) => expect(isInternalAddress(ip)).toBe(true),
  );
  it.each(['192.0.2.10', '8.8.8.8', '2001:db8::1', '::ffff:808:808'])('%s is not', (ip) => expect(isInternalAddress(ip)).toBe(false));
});
