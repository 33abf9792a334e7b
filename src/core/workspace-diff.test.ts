import { describe, expect, it } from 'vitest';
import { capPatch } from './workspace-diff.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('capPatch', () => {
  it('keeps a patch within the limit as it is', () => {
    expect(capPatch('a\nb\n', 4)).toEqual({ patch: 'a\nb\n', truncated: false });
    expect(capPatch('', 0)).toEqual({ patch: '', truncated: false });
  });

  it('cuts after the last whole line that fits, counting UTF-8 bytes', () => {
    expect(capPatch('+ü\n+b\n', 4)).toEqual({ patch: '+ü\n', truncated: true }); // '+ü\n' is 4 bytes
    expect(capPatch('+ü\n+b\n', 3)).toEqual({ patch: '+ü', truncated: true }); // no line end fits: cut between characters
    expect(capPatch('+ü\n+b\n', 2)).toEqual({ patch: '+', truncated: true }); // never half a character
    expect(capPatch('😀😀\n', 5)).toEqual({ patch: '😀', truncated: true }); // never half a character
  });

  it('never exceeds the limit for any cut point', () => {
    const patch = Array.from({ length: 50 }, (_v, i) => `+línea ${i} ✓ 😀`).join('\n') + '\n';
    for (let max = 0; max <= bytes(patch) + 1; max += 7) {
      const cut = capPatch(patch, max);
      expect(bytes(cut.patch)).toBeLessThanOrEqual(max);
      expect(patch.startsWith(cut.patch)).toBe(true);
      expect(cut.truncated).toBe(bytes(patch) > max);
      if (cut.truncated && cut.patch.includes('\n')) expect(cut.patch.endsWith('\n')).toBe(true);
    }
  });
});
