import { describe, expect, it } from 'vitest';
import { LineSplitter, TRUNCATED_MARK } from './line-splitter.js';

function split(chunks: (string | Buffer)[], max?: number): string[] {
  const out: string[] = [];
  const s = new LineSplitter((l) => out.push(l), max);
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe('LineSplitter', () => {
  it('joins partial chunks and splits on newlines', () => {
    expect(split(['hel', 'lo\nwor', 'ld\n', 'tail'])).toEqual(['hello', 'world', 'tail']);
  });
  it('drops a trailing carriage return and keeps empty lines', () => {
    expect(split(['a\r\n\nb\r\n'])).toEqual(['a', '', 'b']);
  });
  it('decodes UTF-8 split across chunks', () => {
    const bytes = Buffer.from('héllo ✓\n', 'utf8');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])).toEqual(['héllo ✓']);
  });
  it('caps a long line and resumes after its newline', () => {
    expect(split(['abcdefgh', 'ijk\nnext\n'], 4)).toEqual([`abcd${TRUNCATED_MARK}`, 'next']);
  });
  it('emits nothing for an empty stream', () => {
    expect(split([])).toEqual([]);
  });
});
