// The script agent's program: runs one iteration of a script (read from stdin) in the current
// directory. Structured events go to stdout as JSON lines `{"cortical":"usage"|"done"|"failed",…}`;
// `print` and `echo-guidance` write plain lines. The format is described in script-format.ts and
// docs/agents/script.md. Environment: CORTICAL_ITERATION (1-based), CORTICAL_GUIDANCE.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, normalize } from 'node:path';

const iteration = Number(process.env.CORTICAL_ITERATION ?? '1');
const guidance = process.env.CORTICAL_GUIDANCE ?? '';
let usage = { tokensIn: 0, tokensOut: 0, usd: 0 };

function emit(event) {
  process.stdout.write(JSON.stringify({ cortical: event.kind, ...event, kind: undefined }) + '\n');
}

function unescape(text) {
  return text.replace(/\\(n|t|\\)/g, (_m, c) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

function safePath(path) {
  const p = normalize(path);
  if (isAbsolute(p) || p.startsWith('..')) throw new Error(`path outside the workspace: ${path}`);
  return p;
}

/** Steps that apply to this iteration, in order. */
function stepsFor(script) {
  const steps = [];
  let section = null; // null = every iteration
  for (const raw of script.split('\n')) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^iter\s+(\d+)\s*:$/.exec(line);
    if (header) {
      section = Number(header[1]);
      continue;
    }
    if (/^(all|every)\s*:$/.test(line)) {
      section = null;
      continue;
    }
    let only = section === null ? null : { from: section, to: section };
    const at = /^@(\d+)(\+?)\s+(.*)$/.exec(line);
    if (at) {
      only = { from: Number(at[1]), to: at[2] === '+' ? Infinity : Number(at[1]) };
      line = at[3];
    }
    if (only && (iteration < only.from || iteration > only.to)) continue;
    steps.push(line);
  }
  return steps;
}

function words(line, n) {
  // the first n-1 words, then the rest of the line
  const out = [];
  let rest = line;
  for (let i = 0; i < n - 1; i++) {
    const m = /^(\S+)\s*(.*)$/s.exec(rest);
    if (!m) break;
    out.push(m[1]);
    rest = m[2];
  }
  out.push(rest);
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run(script) {
  for (const step of stepsFor(script)) {
    const [verb] = words(step, 1)[0].split(/\s+/);
    switch (verb) {
      case 'write':
      case 'append': {
        const [, path, text] = words(step, 3);
        const file = safePath(path);
        mkdirSync(dirname(file), { recursive: true });
        (verb === 'write' ? writeFileSync : appendFileSync)(file, unescape(text) + '\n');
        break;
      }
      case 'print':
        process.stdout.write(unescape(words(step, 2)[1]) + '\n');
        break;
      case 'usage': {
        const [, tin, tout, usd] = step.split(/\s+/);
        usage = {
          tokensIn: usage.tokensIn + Number(tin ?? 0),
          tokensOut: usage.tokensOut + Number(tout ?? 0),
          usd: usage.usd + Number(usd ?? 0),
        };
        emit({ kind: 'usage', ...usage });
        break;
      }
      case 'sleep':
        await sleep(Number(words(step, 2)[1]));
        break;
      case 'echo-guidance':
        if (guidance === '') process.stdout.write('guidance: (none)\n');
        for (const line of guidance.split('\n').filter((l) => l.trim() !== '')) {
          process.stdout.write(`guidance: ${line}\n`);
        }
        break;
      case 'done': {
        const summary = words(step, 2)[1];
        emit({ kind: 'done', summary: summary === '' ? null : summary });
        return 0;
      }
      case 'fail':
        emit({ kind: 'failed', message: words(step, 2)[1] || 'script failed' });
        return 1;
      case 'exit':
        return Number(words(step, 2)[1] || '0');
      case 'hang':
        await new Promise(() => setInterval(() => undefined, 60_000));
        return 0;
      default:
        emit({ kind: 'failed', message: `unknown script step: ${step}` });
        return 2;
    }
  }
  return 0;
}

let script = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (script += d));
process.stdin.on('end', () => {
  run(script).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      emit({ kind: 'failed', message: String(err && err.message ? err.message : err) });
      process.exitCode = 1;
    },
  );
});
