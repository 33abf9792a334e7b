/**
 * A strict parser for the small subset of YAML that deploy/docker-compose.yml is written in, so
 * the deploy test needs no YAML library. Anything outside the subset is an error (never a silent
 * misreading):
 *
 * - indentation with spaces; a nested block is indented deeper than its key;
 * - `key: value` and `key:` followed by a nested block mapping or block sequence;
 *   keys are letters, digits, `_`, `.`, `-`; a key appears once per mapping;
 * - sequence items `- value` hold scalars or flow values (no mappings in sequences);
 * - values: flow collections written as JSON (`["a", "b"]`, `{}`), double-quoted strings
 *   (JSON escapes), and plain scalars resolved as YAML's core schema does (integers and decimals
 *   to numbers, `true`/`false`, `null`/`~`; anything else is a string). Plain scalars that YAML
 *   1.1 would read differently (`yes`, `no`, `on`, `off`, `y`, `n`), or that start with an
 *   indicator (`&`, `*`, `!`, `|`, `>`, `'`, `%`, `@`, `` ` ``), or contain `: ` or ` #`, are refused;
 * - comments only on lines of their own; no anchors, tags, multi-line scalars or documents.
 */

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly no: number;
  readonly indent: number;
  readonly text: string;
}

export class YamlSubsetError extends Error {}

export function parseYamlSubset(source: string): YamlValue {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    const no = i + 1;
    if (raw.includes('\t')) throw new YamlSubsetError(`line ${no}: tabs are not allowed`);
    const trimmed = raw.trimEnd();
    const text = trimmed.trimStart();
    if (text === '' || text.startsWith('#')) return;
    if (text === '---' || text === '...') throw new YamlSubsetError(`line ${no}: document markers are not in the subset`);
    lines.push({ no, indent: trimmed.length - text.length, text });
  });
  if (lines.length === 0) return null;
  const [value, next] = parseBlock(lines, 0, lines[0]!.indent);
  if (next !== lines.length) throw new YamlSubsetError(`line ${lines[next]!.no}: unexpected indentation`);
  return value;
}

function parseBlock(lines: Line[], start: number, indent: number): [YamlValue, number] {
  return lines[start]!.text.startsWith('- ') || lines[start]!.text === '-' ? parseSequence(lines, start, indent) : parseMapping(lines, start, indent);
}

function parseMapping(lines: Line[], start: number, indent: number): [YamlValue, number] {
  const out: { [key: string]: YamlValue } = {};
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent) {
    const line = lines[i]!;
    const m = /^([A-Za-z0-9_.-]+):(?: (.*))?$/.exec(line.text);
    if (m === null) throw new YamlSubsetError(`line ${line.no}: expected "key: value" or "key:"`);
    const key = m[1]!;
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new YamlSubsetError(`line ${line.no}: duplicate key ${key}`);
    const rest = (m[2] ?? '').trim();
    i += 1;
    if (rest !== '') {
      out[key] = scalar(rest, line.no);
      continue;
    }
    const child = lines[i];
    if (child === undefined || child.indent <= indent) {
      out[key] = null;
      continue;
    }
    const [value, next] = parseBlock(lines, i, child.indent);
    out[key] = value;
    i = next;
  }
  if (i < lines.length && lines[i]!.indent > indent) throw new YamlSubsetError(`line ${lines[i]!.no}: unexpected indentation`);
  return [out, i];
}

function parseSequence(lines: Line[], start: number, indent: number): [YamlValue, number] {
  const out: YamlValue[] = [];
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent) {
    const line = lines[i]!;
    if (!line.text.startsWith('- ')) throw new YamlSubsetError(`line ${line.no}: expected "- value" in a sequence`);
    const item = line.text.slice(2).trim();
    if (/^[A-Za-z0-9_.-]+:( |$)/.test(item)) throw new YamlSubsetError(`line ${line.no}: mappings inside sequences are not in the subset`);
    out.push(scalar(item, line.no));
    i += 1;
  }
  if (i < lines.length && lines[i]!.indent > indent) throw new YamlSubsetError(`line ${lines[i]!.no}: unexpected indentation`);
  return [out, i];
}

const YAML11_BOOLEANS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

function scalar(text: string, no: number): YamlValue {
  const first = text[0]!;
  if (first === '[' || first === '{' || first === '"') {
    try {
      return JSON.parse(text) as YamlValue;
    } catch (e) {
      throw new YamlSubsetError(`line ${no}: flow values and double-quoted strings must be valid JSON (${(e as Error).message})`);
    }
  }
  if ('&*!|>\'%@`#'.includes(first)) throw new YamlSubsetError(`line ${no}: ${JSON.stringify(first)} at the start of a value is not in the subset`);
  if (text.includes(': ') || text.includes(' #')) throw new YamlSubsetError(`line ${no}: quote a value that contains ": " or " #"`);
  if (YAML11_BOOLEANS.test(text)) throw new YamlSubsetError(`line ${no}: ${text} reads as a boolean in YAML 1.1 and a string in 1.2: quote it`);
  if (text === 'null' || text === '~') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?$/.test(text)) return Number(text);
  return text;
}
