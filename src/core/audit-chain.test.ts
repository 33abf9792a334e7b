import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditEntryJson, buildAuditLinks, canonicalJson, verifyChainSegment, type ChainProblem } from './audit-chain.js';
import { AUDIT_GENESIS_HASH, type AuditSeal } from './audit-seal.js';
import type { StoredEvent } from './events.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const hash = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const signer = { hash, sign: (m: string) => sign(null, Buffer.from(m), privateKey).toString('base64url') };
const verifySig = (m: string, s: string): boolean => {
  const b = Buffer.from(s, 'base64url');
  return b.toString('base64url') === s && b.length === 64 && verify(null, Buffer.from(m), publicKey, b);
};
const GENESIS = { prevHash: AUDIT_GENESIS_HASH, prevSeq: 0, hash, verifySig };

const ev = (seq: number, data: Record<string, unknown> = {}): StoredEvent => ({
  seq,
  at: 1_700_000_000_000 + seq,
  type: seq % 2 === 0 ? 'killswitch.changed' : 'task.created',
  taskId: seq % 2 === 0 ? null : `tsk_${seq}`,
  nodeId: null,
  data: { actor: 'token:adm', n: seq, ...data },
});

const chain = (n: number): AuditSeal[] => buildAuditLinks(Array.from({ length: n }, (_, i) => ev(i * 3 + 2)), GENESIS, signer);

describe('canonical entries', () => {
  it('sorts keys at every depth and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, e: 'x' })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"e":"x"}');
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });

  it('an entry carries the event seq, time, type, actor, task, node and data', () => {
    const e = ev(7, { agent: 'claude' });
    expect(JSON.parse(auditEntryJson(e))).toEqual({
      eventSeq: 7, at: e.at, type: 'task.created', actor: 'token:adm', taskId: 'tsk_7', nodeId: null, data: { actor: 'token:adm', n: 7, agent: 'claude' },
    });
  });
});

describe('verifyChainSegment', () => {
  it('accepts a chain built from genesis and one continued from its middle', () => {
    const links = chain(6);
    expect(verifyChainSegment(links, GENESIS)).toBeNull();
    const tail = buildAuditLinks([ev(30), ev(31)], { prevHash: links[5]!.hash, prevSeq: 6 }, signer);
    expect(verifyChainSegment(tail, { ...GENESIS, prevHash: links[5]!.hash, prevSeq: 6, prevEventSeq: links[5]!.eventSeq })).toBeNull();
    expect(tail.map((l) => l.seq)).toEqual([7, 8]);
    expect(tail[0]!.prevHash).toBe(links[5]!.hash);
  });

  const kindOf = (links: AuditSeal[]): ChainProblem | null => verifyChainSegment(links, GENESIS);

  it('names the first problem: gap, reordering, broken link, hash, signature, unparseable entry', () => {
    const links = chain(5);
    expect(kindOf([links[0]!, links[2]!, links[3]!])).toMatchObject({ seq: 3, kind: 'gap' });
    expect(kindOf([links[0]!, links[1]!, links[1]!])).toMatchObject({ seq: 2, kind: 'reordered' });
    // a link that seals an earlier event than the one before it
    const back = buildAuditLinks([ev(10), ev(4)], GENESIS, signer);
    expect(kindOf(back)).toMatchObject({ seq: 2, kind: 'reordered' });
    expect(kindOf([links[0]!, { ...links[1]!, prevHash: hash('x') }])).toMatchObject({ seq: 2, kind: 'link_broken' });
    const edited = links[1]!.entry.replace('"n":5', '"n":6');
    expect(kindOf([links[0]!, { ...links[1]!, entry: edited }])).toMatchObject({ seq: 2, kind: 'hash_mismatch' });
    const rehashed = { ...links[1]!, entry: edited, hash: hash(`${links[1]!.prevHash}\n${edited}`) };
    expect(kindOf([links[0]!, rehashed])).toMatchObject({ seq: 2, kind: 'bad_signature' });
    expect(kindOf([{ ...links[0]!, entry: '{nope' }])).toMatchObject({ seq: 1, kind: 'entry_unparseable' });
    expect(kindOf([{ ...links[0]!, eventSeq: 99 }])).toMatchObject({ seq: 1, kind: 'link_broken' });
    expect(kindOf([{ ...links[0]!, at: 5 }])).toMatchObject({ seq: 1, kind: 'link_broken' });
  });

  it('property: any single-character change in any field of any link is detected', () => {
    const links = chain(5);
    const fields = ['entry', 'prevHash', 'hash', 'sig'] as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(...fields),
        fc.nat(),
        fc.integer({ min: 0x20, max: 0x7e }),
        (i, field, at, code) => {
          const link = links[i]!;
          const s = link[field];
          const pos = at % s.length;
          const c = String.fromCharCode(code);
          fc.pre(s[pos] !== c);
          const changed = { ...link, [field]: s.slice(0, pos) + c + s.slice(pos + 1) };
          const tampered = links.map((l, j) => (j === i ? changed : l));
          expect(verifyChainSegment(tampered, GENESIS)).not.toBeNull();
        },
      ),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.constantFrom('seq', 'eventSeq', 'at'), fc.integer({ min: -3, max: 3 }), (i, field, delta) => {
        fc.pre(delta !== 0);
        const link = links[i]!;
        const tampered = links.map((l, j) => (j === i ? { ...link, [field]: link[field] + delta } : l));
        expect(verifyChainSegment(tampered, GENESIS)).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});
