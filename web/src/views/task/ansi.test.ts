import { describe, expect, it } from 'vitest';
import { ansiClassNames, applySgr, parseAnsi, PLAIN_STYLE, stripAnsi } from './ansi.js';

const E = '\u001b';

describe('parseAnsi', () => {
  it('plain text is one unstyled segment', () => {
    expect(parseAnsi('hello world').segments).toEqual([{ text: 'hello world', fg: null, bg: null, bold: false }]);
  });

  it('splits on colour changes and resets', () => {
    const { segments } = parseAnsi(`a${E}[31mred${E}[0mplain`);
    expect(segments).toEqual([
      { text: 'a', fg: null, bg: null, bold: false },
      { text: 'red', fg: 'red', bg: null, bold: false },
      { text: 'plain', fg: null, bg: null, bold: false },
    ]);
  });

  it('handles bold, bright and background colours combined in one sequence', () => {
    const { segments } = parseAnsi(`${E}[1;92;44mok${E}[22mthin${E}[39;49mdefault`);
    expect(segments).toEqual([
      { text: 'ok', fg: 'bright-green', bg: 'blue', bold: true },
      { text: 'thin', fg: 'bright-green', bg: 'blue', bold: false },
      { text: 'default', fg: null, bg: null, bold: false },
    ]);
  });

  it('bright backgrounds and ESC[m as a reset', () => {
    const { segments } = parseAnsi(`${E}[103mX${E}[mY`);
    expect(segments).toEqual([
      { text: 'X', fg: null, bg: 'bright-yellow', bold: false },
      { text: 'Y', fg: null, bg: null, bold: false },
    ]);
  });

  it('strips cursor movement, erase, OSC titles and other controls but keeps the text', () => {
    const text = `${E}[2K${E}[1Gline${E}]0;title${'\u0007'} one${E}[?25l${'\r'}${E}(B two${'\u0008'}`;
    expect(stripAnsi(text)).toBe('line one two');
  });

  it('skips 256-colour and true-colour arguments without misreading them', () => {
    // 38;5;1 must not be read as bold (1); 48;2;0;0;4 must not be read as underline
    const { segments } = parseAnsi(`${E}[38;5;1mA${E}[48;2;0;0;4;31mB`);
    expect(segments).toEqual([
      { text: 'A', fg: null, bg: null, bold: false },
      { text: 'B', fg: 'red', bg: null, bold: false },
    ]);
  });

  it('merges adjacent segments with the same style and drops empty ones', () => {
    expect(parseAnsi(`${E}[31ma${E}[31mb${E}[32m${E}[0m`).segments).toEqual([{ text: 'ab', fg: 'red', bg: null, bold: false }]);
  });

  it('carries a style from one line into the next', () => {
    const first = parseAnsi(`${E}[33mwarn`);
    expect(first.end).toEqual({ fg: 'yellow', bg: null, bold: false });
    expect(parseAnsi('still yellow', first.end).segments[0]).toMatchObject({ fg: 'yellow', text: 'still yellow' });
  });

  it('a truncated sequence at the end is dropped', () => {
    expect(stripAnsi(`abc${E}[31`)).toBe('abc');
    expect(stripAnsi(`abc${E}`)).toBe('abc');
  });

  it('keeps tabs and unicode', () => {
    expect(stripAnsi('a\tb ✓ é')).toBe('a\tb ✓ é');
  });
});

describe('applySgr and class names', () => {
  it('maps codes to styles and styles to class names', () => {
    const s = applySgr(PLAIN_STYLE, '1;35;107');
    expect(s).toEqual({ fg: 'magenta', bg: 'bright-white', bold: true });
    expect(ansiClassNames(s)).toBe('ansi-fg-magenta ansi-bg-bright-white ansi-bold');
    expect(ansiClassNames(PLAIN_STYLE)).toBe('');
  });

  it('ignores codes it does not render (underline, italic)', () => {
    expect(applySgr(PLAIN_STYLE, '3;4')).toEqual(PLAIN_STYLE);
  });
});
