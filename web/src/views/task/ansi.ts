/**
 * ANSI escape sequences → styled text segments. Understands SGR (`ESC [ … m`): reset, bold,
 * normal intensity, the 8 standard and 8 bright foreground and background colours and the
 * defaults; 256-colour and true-colour arguments are skipped. Every other escape sequence (cursor
 * movement, OSC titles, …) and other control characters are removed. Pure.
 */

export const ANSI_COLOURS = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;
export type AnsiBaseColour = (typeof ANSI_COLOURS)[number];
/** `red` or `bright-red`, etc. */
export type AnsiColour = AnsiBaseColour | `bright-${AnsiBaseColour}`;

export interface AnsiStyle {
  readonly fg: AnsiColour | null;
  readonly bg: AnsiColour | null;
  readonly bold: boolean;
}

export interface AnsiSegment extends AnsiStyle {
  readonly text: string;
}

export const PLAIN_STYLE: AnsiStyle = { fg: null, bg: null, bold: false };

const ESC = '\u001b';

function colour(index: number, bright: boolean): AnsiColour {
  const base = ANSI_COLOURS[index] ?? 'white';
  return bright ? `bright-${base}` : base;
}

/** Applies one SGR parameter list (`1;31`) to a style. */
export function applySgr(style: AnsiStyle, params: string): AnsiStyle {
  const codes = params === '' ? [0] : params.split(';').map((p) => (p === '' ? 0 : Number.parseInt(p, 10)));
  let s = style;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] ?? 0;
    if (Number.isNaN(c)) continue;
    if (c === 0) s = PLAIN_STYLE;
    else if (c === 1) s = { ...s, bold: true };
    else if (c === 22) s = { ...s, bold: false };
    else if (c >= 30 && c <= 37) s = { ...s, fg: colour(c - 30, false) };
    else if (c === 39) s = { ...s, fg: null };
    else if (c >= 40 && c <= 47) s = { ...s, bg: colour(c - 40, false) };
    else if (c === 49) s = { ...s, bg: null };
    else if (c >= 90 && c <= 97) s = { ...s, fg: colour(c - 90, true) };
    else if (c >= 100 && c <= 107) s = { ...s, bg: colour(c - 100, true) };
    else if (c === 38 || c === 48) {
      // extended colour: 5;n or 2;r;g;b: skipped (not rendered)
      const mode = codes[i + 1];
      i += mode === 5 ? 2 : mode === 2 ? 4 : 1;
    }
  }
  return s;
}

/** The length of the escape sequence at `text[start]` (an ESC), or 1 for a lone ESC. */
function escapeLength(text: string, start: number): { length: number; sgr: string | null } {
  const next = text[start + 1];
  if (next === '[') {
    // CSI: parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F, one final byte 0x40–0x7E
    let i = start + 2;
    while (i < text.length && /[0-?]/.test(text[i]!)) i++;
    const params = text.slice(start + 2, i);
    while (i < text.length && /[ -/]/.test(text[i]!)) i++;
    if (i >= text.length) return { length: text.length - start, sgr: null };
    const final = text[i]!;
    const isSgr = final === 'm' && /^[0-9;]*$/.test(params);
    return { length: i + 1 - start, sgr: isSgr ? params : null };
  }
  if (next === ']' || next === 'P' || next === '_' || next === '^') {
    // OSC / DCS / APC / PM: up to BEL or ESC \
    let i = start + 2;
    while (i < text.length) {
      if (text[i] === '\u0007') return { length: i + 1 - start, sgr: null };
      if (text[i] === ESC && text[i + 1] === '\\') return { length: i + 2 - start, sgr: null };
      i++;
    }
    return { length: text.length - start, sgr: null };
  }
  if (next === undefined) return { length: 1, sgr: null };
  // two-character escapes (ESC 7, ESC c, ESC ( B …)
  if (next === '(' || next === ')' || next === '#') return { length: Math.min(3, text.length - start), sgr: null };
  return { length: 2, sgr: null };
}

/** Removes C0 control characters except TAB, and DEL. */
function withoutControls(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) continue;
    out += ch;
  }
  return out;
}

/**
 * Splits a text into styled segments. `start` is the style in effect before the text (for
 * colours that carry over from an earlier line); `end` is the style after it.
 */
export function parseAnsi(text: string, start: AnsiStyle = PLAIN_STYLE): { segments: AnsiSegment[]; end: AnsiStyle } {
  const segments: AnsiSegment[] = [];
  let style = start;
  let buf = '';
  const flush = (): void => {
    const clean = withoutControls(buf);
    buf = '';
    if (clean === '') return;
    const last = segments.at(-1);
    if (last !== undefined && sameStyle(last, style)) segments[segments.length - 1] = { ...last, text: last.text + clean };
    else segments.push({ ...style, text: clean });
  };
  let i = 0;
  while (i < text.length) {
    const esc = text.indexOf(ESC, i);
    if (esc === -1) {
      buf += text.slice(i);
      break;
    }
    buf += text.slice(i, esc);
    const { length, sgr } = escapeLength(text, esc);
    if (sgr !== null) {
      flush();
      style = applySgr(style, sgr);
    }
    i = esc + length;
  }
  flush();
  return { segments, end: style };
}

function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return a.fg === b.fg && a.bg === b.bg && a.bold === b.bold;
}

/** The text without any escape sequence. */
export function stripAnsi(text: string): string {
  return parseAnsi(text).segments.map((s) => s.text).join('');
}

/** CSS class names for a segment (`ansi-fg-red ansi-bg-bright-blue ansi-bold`). */
export function ansiClassNames(s: AnsiStyle): string {
  const names: string[] = [];
  if (s.fg !== null) names.push(`ansi-fg-${s.fg}`);
  if (s.bg !== null) names.push(`ansi-bg-${s.bg}`);
  if (s.bold) names.push('ansi-bold');
  return names.join(' ');
}
