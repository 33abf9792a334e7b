import { describe, expect, it } from 'vitest';
import { validateScript } from './script-format.js';

describe('validateScript', () => {
  it('accepts every step, limits and sections', () => {
    const script = [
      '# a comment',
      'write a.txt hello',
      'append a.txt more',
      'print hi',
      'usage 10 5 0.5',
      'usage 1 1',
      'sleep 10',
      'echo-guidance',
      '@2 done finished',
      '@3+ fail no',
      'iter 4:',
      'exit 3',
      'all:',
      'hang',
    ].join('\n');
    expect(validateScript(script)).toEqual([]);
  });
  it.each([
    ['frobnicate', "unknown step 'frobnicate'"],
    ['usage ten 5', 'usage needs'],
    ['sleep', 'sleep needs a number'],
    ['write', 'write needs a PATH'],
    ['@2 nope', "unknown step 'nope'"],
  ])('rejects %s', (line, problem) => {
    expect(validateScript(`print ok\n${line}`)[0]).toContain(`line 2: ${problem}`);
  });
});
