import { describe, expect, it } from 'vitest';
import { FLUSH_PKT, parseReceivePackCommands, pktLine, refusal, refusalReport, taskRef } from './git-push-policy.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const Z = '0'.repeat(40);

describe('receive-pack command parsing', () => {
  it('reads updates and capabilities up to the flush packet', () => {
    const data = pktLine(`${A} ${B} refs/heads/cortical/t1\0report-status side-band-64k agent=git/2\n`) + pktLine(`${Z} ${B} refs/heads/x\n`) + FLUSH_PKT + 'PACK....';
    const r = parseReceivePackCommands(data);
    expect(r).toMatchObject({
      kind: 'ok',
      updates: [
        { oldId: A, newId: B, ref: 'refs/heads/cortical/t1' },
        { oldId: Z, newId: B, ref: 'refs/heads/x' },
      ],
      capabilities: ['report-status', 'side-band-64k', 'agent=git/2'],
    });
    expect(r.kind === 'ok' && data.slice(r.length)).toBe('PACK....');
  });

  it('asks for more bytes until the command list is complete', () => {
    const full = pktLine(`${A} ${B} refs/heads/cortical/t1\n`) + FLUSH_PKT;
    for (let i = 0; i < full.length; i++) expect(parseReceivePackCommands(full.slice(0, i)).kind).toBe('incomplete');
    expect(parseReceivePackCommands(full).kind).toBe('ok');
  });

  it.each([
    ['a bad length', 'zzzz'],
    ['a too short length', '0003'],
    ['a bad object id', pktLine(`xyz ${B} refs/heads/a\n`) + FLUSH_PKT],
    ['a missing ref', pktLine(`${A} ${B}\n`) + FLUSH_PKT],
    ['an empty command list', FLUSH_PKT],
    ['a push certificate', pktLine('push-cert\0report-status\n') + FLUSH_PKT],
  ])('refuses %s', (_name, data) => {
    expect(parseReceivePackCommands(data).kind).toBe('invalid');
  });

  it('skips shallow lines', () => {
    const r = parseReceivePackCommands(pktLine(`shallow ${A}\n`) + pktLine(`${A} ${B} refs/heads/cortical/t\n`) + FLUSH_PKT);
    expect(r.kind === 'ok' && r.updates.length).toBe(1);
  });
});

describe('what a task may push', () => {
  it('only its own branch, never a delete', () => {
    expect(taskRef('t1')).toBe('refs/heads/cortical/t1');
    expect(refusal({ oldId: A, newId: B, ref: 'refs/heads/cortical/t1' }, 't1')).toBeNull();
    expect(refusal({ oldId: Z, newId: B, ref: 'refs/heads/cortical/t1' }, 't1')).toBeNull();
    for (const ref of ['refs/heads/main', 'refs/heads/cortical/t2', 'refs/heads/cortical/t1/x', 'refs/heads/cortical/t10', 'refs/tags/v1', 'refs/cortical/snapshots/t1/s', 'HEAD']) {
      expect(refusal({ oldId: A, newId: B, ref }, 't1')).toContain('only refs/heads/cortical/t1');
    }
    expect(refusal({ oldId: A, newId: Z, ref: 'refs/heads/cortical/t1' }, 't1')).toContain('deleting');
  });

  it('reports every refused ref, in the side band when asked', () => {
    const updates = [
      { oldId: A, newId: B, ref: 'refs/heads/cortical/t1' },
      { oldId: A, newId: B, ref: 'refs/heads/main' },
    ];
    const plain = refusalReport(updates, new Map([['refs/heads/main', 'no']]), ['report-status']);
    expect(plain).toBe(pktLine('unpack ok\n') + pktLine('ng refs/heads/cortical/t1 refused because another ref update of this push was refused\n') + pktLine('ng refs/heads/main no\n') + FLUSH_PKT);
    const banded = refusalReport(updates, new Map([['refs/heads/main', 'no']]), ['report-status', 'side-band-64k']);
    expect(banded.startsWith(pktLine('\x01' + plain).slice(0, 5))).toBe(true);
    expect(banded.endsWith(FLUSH_PKT)).toBe(true);
    expect(banded).toContain('ng refs/heads/main no');
  });
});
