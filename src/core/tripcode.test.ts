import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkWindow,
  formatRecoveryCode,
  formatTripcodePayload,
  parseRecoveryCode,
  parseTripcodePayload,
  tripcodeFamily,
  type RecoveryCode,
} from './tripcode.js';

const KEY = Buffer.alloc(32, 7);
const hmac = (text: string) => createHmac('sha256', KEY).update(text).digest('base64url');

const argChars = fc.constantFrom(...'ABCxyz019._:-'.split(''));
const arg = fc.array(argChars, { minLength: 1, maxLength: 128 }).map((a) => a.join(''));
const recoveryCodes: fc.Arbitrary<RecoveryCode> = fc.oneof(
  arg.map((snapshotId) => ({ kind: 'revert_snapshot', family: 'RECOVERY:REVERT_SNAPSHOT', snapshotId }) as const),
  fc.option(arg, { nil: null }).map((target) => ({ kind: 'reimage_to_golden', family: 'RECOVERY:REIMAGE_TO_GOLDEN', target }) as const),
  fc.boolean().map((lift) => ({ kind: 'lockdown', family: 'RECOVERY:LOCKDOWN', lift }) as const),
  fc.constantFrom('basic', 'full').map((profile) => ({ kind: 'diagnostic', family: 'RECOVERY:DIAGNOSTIC', profile }) as const),
);

describe('recovery codes', () => {
  it('accepts the four grammars and names their families', () => {
    expect(parseRecoveryCode('RECOVERY:REVERT_SNAPSHOT::20260101T000000000Z-abc')).toEqual({
      ok: true,
      value: { kind: 'revert_snapshot', family: 'RECOVERY:REVERT_SNAPSHOT', snapshotId: '20260101T000000000Z-abc' },
    });
    expect(parseRecoveryCode('RECOVERY:REIMAGE_TO_GOLDEN')).toMatchObject({ ok: true, value: { kind: 'reimage_to_golden', target: null } });
    expect(parseRecoveryCode('RECOVERY:REIMAGE_TO_GOLDEN::tsk_42')).toMatchObject({ ok: true, value: { target: 'tsk_42' } });
    expect(parseRecoveryCode('RECOVERY:LOCKDOWN')).toMatchObject({ ok: true, value: { kind: 'lockdown', lift: false } });
    expect(parseRecoveryCode('RECOVERY:LOCKDOWN::LIFT')).toMatchObject({ ok: true, value: { kind: 'lockdown', lift: true } });
    expect(parseRecoveryCode('RECOVERY:DIAGNOSTIC::full')).toMatchObject({ ok: true, value: { kind: 'diagnostic', profile: 'full' } });
    expect(tripcodeFamily('RECOVERY:REVERT_SNAPSHOT::a::b')).toBe('RECOVERY:REVERT_SNAPSHOT');
    expect(tripcodeFamily('RECOVERY:LOCKDOWN')).toBe('RECOVERY:LOCKDOWN');
  });

  it.each([
    'RECOVERY:REVERT_SNAPSHOT',
    'RECOVERY:REVERT_SNAPSHOT::',
    `RECOVERY:REVERT_SNAPSHOT::${'a'.repeat(129)}`,
    'RECOVERY:REVERT_SNAPSHOT::a b',
    'RECOVERY:LOCKDOWN::NOW',
    'RECOVERY:DIAGNOSTIC',
    'RECOVERY:DIAGNOSTIC::huge',
    'RECOVERY:REIMAGE_TO_GOLDEN::',
    'RECOVERY:SELF_DESTRUCT',
    'recovery:lockdown',
    '',
  ])('refuses %j with the accepted grammar in the reason', (code) => {
    const r = parseRecoveryCode(code);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('RECOVERY:DIAGNOSTIC::basic|full');
  });

  it('formatRecoveryCode inverts parseRecoveryCode', () => {
    fc.assert(
      fc.property(recoveryCodes, (code) => {
        expect(parseRecoveryCode(formatRecoveryCode(code))).toEqual({ ok: true, value: code });
      }),
    );
  });
});

describe('payloads', () => {
  const sig = hmac('x');

  it('parses ts|code|sig', () => {
    const payload = formatTripcodePayload(1_700_000_000_123, 'RECOVERY:LOCKDOWN', hmac);
    const r = parseTripcodePayload(payload);
    expect(r).toMatchObject({ ok: true, ts: 1_700_000_000_123, code: 'RECOVERY:LOCKDOWN', sig: hmac('1700000000123|RECOVERY:LOCKDOWN') });
  });

  it.each([
    ['two parts', `1|RECOVERY:LOCKDOWN`],
    ['four parts', `1|RECOVERY:LOCKDOWN|${sig}|x`],
    ['a signed ts', `+1|RECOVERY:LOCKDOWN|${sig}`],
    ['a leading zero', `01|RECOVERY:LOCKDOWN|${sig}`],
    ['a fractional ts', `1.5|RECOVERY:LOCKDOWN|${sig}`],
    ['a ts beyond safe integers', `99999999999999999|RECOVERY:LOCKDOWN|${sig}`],
    ['an empty code', `1||${sig}`],
    ['a space in the code', `1|RECOVERY:LOCKDOWN |${sig}`],
    ['a padded sig', `1|RECOVERY:LOCKDOWN|${sig}=`],
    ['a short sig', `1|RECOVERY:LOCKDOWN|${sig.slice(1)}`],
    ['standard base64', `1|RECOVERY:LOCKDOWN|${sig.replace(/^./, '+')}`],
    ['a non-canonical last character', `1|RECOVERY:LOCKDOWN|${sig.slice(0, 42)}B`],
    ['surrounding whitespace', ` 1|RECOVERY:LOCKDOWN|${sig}`],
  ])('malformed: %s', (_name, payload) => {
    expect(parseTripcodePayload(payload)).toMatchObject({ ok: false, reason: 'malformed', code: null });
  });

  it('a well-formed payload with an unknown code is wrong_code and names the code', () => {
    expect(parseTripcodePayload(`1|RECOVERY:SELF_DESTRUCT|${sig}`)).toMatchObject({ ok: false, reason: 'wrong_code', code: 'RECOVERY:SELF_DESTRUCT' });
  });

  it('any valid code at any time formats into a payload that parses back to it', () => {
    fc.assert(
      fc.property(recoveryCodes, fc.integer({ min: 0, max: 4_102_444_800_000 }), (code, ts) => {
        const text = formatRecoveryCode(code);
        const r = parseTripcodePayload(formatTripcodePayload(ts, text, hmac));
        expect(r).toEqual({ ok: true, ts, code: text, recovery: code, sig: hmac(`${ts}|${text}`) });
      }),
    );
  });
});

describe('checkWindow', () => {
  it('accepts within the window and the skew, refuses outside', () => {
    expect(checkWindow(1000, 1000)).toEqual({ ok: true });
    expect(checkWindow(1000, 301_000)).toEqual({ ok: true });
    expect(checkWindow(1000, 301_001)).toEqual({ ok: false, reason: 'expired' });
    expect(checkWindow(31_000, 1000)).toEqual({ ok: true });
    expect(checkWindow(31_001, 1000)).toEqual({ ok: false, reason: 'from the future' });
    expect(checkWindow(0, 11, 10, 0)).toEqual({ ok: false, reason: 'expired' });
    expect(checkWindow(1, 0, 10, 0)).toEqual({ ok: false, reason: 'from the future' });
  });
});
