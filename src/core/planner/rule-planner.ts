/**
 * The rule-based request planner: plain words → a Plan, deterministically. It reads the agent,
 * model, node requirements, guardrails, until-check, project, repository, title, checks and tier
 * from the request, and writes one explanation line per decision. Never throws: any string gives
 * a valid Plan (the request policy refuses the empty or meaningless ones). Pure: no I/O.
 */
import { formatDuration, formatUsd, readBudgetTokens, readBudgetUsd, readIterations, readTimeoutMs } from './guardrail-phrases.js';
import { describeNodeClass, FALLBACK_AGENT, joinWords, type Plan, type PlannerDefaults, type PlanGuardrails } from './plan.js';
import { classifyTier, explainTier } from './request-tiers.js';

export interface RulePlannerInput {
  readonly request: string;
  /** Project from the caller (API body, `--project`): wins over one named in the text. */
  readonly project?: string | null | undefined;
  readonly defaults: PlannerDefaults;
  /** The HQ's configured default agent; null → `claude`. */
  readonly defaultAgent?: string | null | undefined;
}

export const TITLE_MAX_CHARS = 80;
const PROMPT_MAX_CHARS = 200_000;
const PROJECT_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const CAPABILITY_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const MODEL_RE = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;

const AGENT_WORDS: readonly { re: RegExp; agent: string }[] = [
  { re: /\bcodex\b/i, agent: 'codex' },
  { re: /\bclaude(?:[ -]code)?\b(?![.-]\w)/i, agent: 'claude' },
  { re: /\bgemini\b(?![.-]\w)/i, agent: 'gemini' },
  { re: /\bopencode\b/i, agent: 'opencode' },
  { re: /\baider\b/i, agent: 'aider' },
  { re: /\bbuilt-?in(?: agent)?\b|\blocal (?:model|llm|agent)\b/i, agent: 'builtin' },
];

/** Model aliases and the agent that runs them. */
const MODEL_AGENTS: readonly { re: RegExp; agent: string }[] = [
  { re: /^(?:sonnet|opus|haiku|claude-.*)$/i, agent: 'claude' },
  { re: /^(?:gpt-.*|o\d(?:-.*)?|codex-.*)$/i, agent: 'codex' },
  { re: /^gemini-.*$/i, agent: 'gemini' },
];

/** Shell commands named without quotes: `until npm test passes`. */
const COMMAND_START = String.raw`(?:npm|pnpm|yarn|npx|bun|deno|node|make|cargo|go|pytest|python3?|tox|mvn|gradle|\.\/gradlew|dotnet|mix|rake|bundle|php|composer|swift|ctest|bash|sh|\.\/\S+)`;
const QUOTED_UNTIL = /\buntil\s+[`'"]([^`'"\n]{1,2000})[`'"]\s*(?:passes|succeeds|is green|exits (?:with )?0|returns 0|works)?/i;
const BARE_UNTIL = new RegExp(String.raw`\buntil\s+(${COMMAND_START}(?:\s+[^\s.,;!?]+)*?)\s+(?:passes|succeeds|is green|exits (?:with )?0|returns 0|works)\b`, 'i');
const VAGUE_UNTIL = /\buntil\s+(?:all\s+)?(?:the\s+)?(?:unit\s+|integration\s+|e2e\s+)?(tests?|build|lint(?:er)?|ci|checks?|type ?check(?:s|ing)?)\s+(?:pass(?:es)?|succeeds?|is green|are green|works?|compiles?)\b/i;
const TESTS_PASS = /\b(?:tests?\s+(?:pass|passes|are green|succeed)|make (?:the )?tests? (?:pass|green)|passing tests|failing tests?|fix (?:the )?tests?|green tests)\b/i;

export function planFromRules(input: RulePlannerInput): Plan {
  const text = (typeof input.request === 'string' ? input.request : '').replace(/\r\n?/g, '\n').trim();
  const why: string[] = [];

  const { agent, model } = readAgentAndModel(text, input.defaultAgent ?? null, why);
  const requires = readRequires(text, why);
  const guardrails = readGuardrails(text, input.defaults, why);
  const { until, checks } = readUntilAndChecks(text, why);
  const project = readProject(text, input.project ?? null, why);
  const repo = readRepo(text, why);
  const title = titleOf(text);
  why.push(title.endsWith('…') ? `Title: the request's first sentence, cut to ${TITLE_MAX_CHARS} characters.` : "Title: the request's first sentence.");
  const tier = classifyTier(text);
  why.push(explainTier(tier));
  const nodeClass = describeNodeClass(agent, requires);
  why.push(`Runs on ${nodeClass}.`);

  return {
    title,
    prompt: text === '' ? '(empty request)' : text.slice(0, PROMPT_MAX_CHARS),
    agent,
    model,
    requires,
    nodeClass,
    guardrails,
    until,
    checks,
    tier: tier.tier,
    project,
    repo,
    explanation: why,
  };
}

/** The first sentence (or line), whitespace collapsed, at most 80 characters. */
export function titleOf(text: string): string {
  const firstLine = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const sentence = (/^.*?[.!?](?=\s|$)/.exec(firstLine.trim())?.[0] ?? firstLine).replace(/\s+/g, ' ').trim();
  const title = sentence === '' ? 'Untitled request' : sentence;
  return title.length <= TITLE_MAX_CHARS ? title : `${title.slice(0, TITLE_MAX_CHARS - 1).trimEnd()}…`;
}

function readAgentAndModel(text: string, defaultAgent: string | null, why: string[]): { agent: string; model: string | null } {
  const model = readModel(text);
  const named = readAgent(text);
  let agent: string;
  if (named !== null) {
    agent = named.agent;
    why.push(`Agent ${agent}: the request names it ("${named.phrase}").`);
  } else if (model !== null && agentOfModel(model) !== null) {
    agent = agentOfModel(model) ?? FALLBACK_AGENT;
    why.push(`Agent ${agent}: it runs the model ${model} the request names.`);
  } else if (defaultAgent !== null && defaultAgent !== '') {
    agent = defaultAgent;
    why.push(`Agent ${agent}: the HQ's default agent (the request names none).`);
  } else {
    agent = FALLBACK_AGENT;
    why.push(`Agent ${agent}: the default (the request names no agent).`);
  }
  if (model !== null) why.push(`Model ${model}: named in the request.`);
  else why.push(`Model: the node's default for ${agent} (the request names none).`);
  return { agent, model };
}

function readAgent(text: string): { agent: string; phrase: string } | null {
  let best: { agent: string; phrase: string; index: number } | null = null;
  for (const { re, agent } of AGENT_WORDS) {
    const m = re.exec(text);
    if (m !== null && (best === null || m.index < best.index)) best = { agent, phrase: m[0], index: m.index };
  }
  return best === null ? null : { agent: best.agent, phrase: best.phrase };
}

function readModel(text: string): string | null {
  const explicit = /\bmodel\s*[:=]?\s*[`'"]?([A-Za-z0-9][A-Za-z0-9._:/@+-]*)/i.exec(text);
  const alias = /\b(?:with|using|use|on|via)\s+(?:the\s+)?(sonnet|opus|haiku|gpt-[\w.-]+|o[1-9](?:-[\w.-]+)?|gemini-[\w.-]+|claude-[\w.-]+)\b/i.exec(text);
  const raw = explicit?.[1] ?? alias?.[1] ?? null;
  if (raw === null) return null;
  const model = raw.replace(/[.,;:]+$/, '');
  const looksLikeModel = /[0-9:/@-]/.test(model) || /^(?:sonnet|opus|haiku)$/i.test(model);
  return MODEL_RE.test(model) && looksLikeModel ? model : null;
}

function agentOfModel(model: string): string | null {
  return MODEL_AGENTS.find((m) => m.re.test(model))?.agent ?? null;
}

function readRequires(text: string, why: string[]): string[] {
  const out: string[] = [];
  const add = (cap: string, line: string): void => {
    const c = cap.toLowerCase();
    if (!CAPABILITY_RE.test(c) || out.includes(c)) return;
    out.push(c);
    why.push(line);
  };
  const nodeRe = /\bon\s+(?:the\s+)?node\s+[`'"]?([A-Za-z0-9][A-Za-z0-9._-]{0,62})/i;
  // A node's name ("on node gpu-box-1") is not a request for a GPU.
  const rest = text.replace(nodeRe, ' ');
  if (/\b(?:on|with|needs?|requires?|using|use)\s+(?:an?\s+|the\s+)?(?:gpus?|cuda)\b|\bgpu[ -](?:node|machine|box|host|server)s?\b/i.test(rest)) {
    add('gpu', 'Requires gpu: the request asks for a GPU node.');
  }
  const node = nodeRe.exec(text);
  if (node?.[1] !== undefined) {
    const name = node[1].replace(/[._-]+$/, '').toLowerCase();
    add(name, `Requires ${name}: the request names node ${name}; only nodes advertising the capability ${name} (cortical node --capabilities ${name}) take it.`);
  }
  if (/\b(?:needs?|requires?|with|using|inside|in)\s+(?:a\s+)?docker\b/i.test(text)) add('docker', 'Requires docker: the request needs Docker on the node.');
  if (/\b(?:sandboxed|in a sandbox)\b/i.test(text)) add('sandboxed', 'Requires sandboxed: the request asks for a sandboxed node.');
  const caps = /\brequires?\s+capabilit(?:y|ies)\s+([a-z0-9._,\s-]+?)(?:[.;!?\n]|$)/i.exec(text);
  for (const c of caps?.[1]?.split(/[\s,]+/) ?? []) if (c !== '' && c !== 'and') add(c, `Requires ${c.toLowerCase()}: named in the request.`);
  if (out.length === 0) why.push('Requires nothing special: any node with the agent can take it.');
  return out;
}

function readGuardrails(text: string, defaults: PlannerDefaults, why: string[]): PlanGuardrails {
  const iterations = readIterations(text);
  const usd = readBudgetUsd(text);
  const tokens = readBudgetTokens(text);
  const timeout = readTimeoutMs(text);
  const line = (name: string, found: { phrase: string } | null, value: number | null, show: (v: number) => string): void => {
    if (found !== null) why.push(`${name} ${value === null ? 'unlimited' : show(value)}: the request says "${found.phrase}".`);
    else why.push(`${name} ${value === null ? 'unlimited' : show(value)}: the default.`);
  };
  const g: PlanGuardrails = {
    maxIterations: iterations?.value ?? defaults.maxIterations,
    budgetUsd: usd?.value ?? defaults.budgetUsd,
    budgetTokens: tokens?.value ?? defaults.budgetTokens,
    timeoutMs: timeout?.value ?? defaults.timeoutMs,
  };
  line('Iterations at most', iterations, g.maxIterations, String);
  line('Budget', usd, g.budgetUsd, formatUsd);
  line('Token budget', tokens, g.budgetTokens, (v) => `${v} tokens`);
  line('Timeout', timeout, g.timeoutMs, formatDuration);
  return g;
}

function readUntilAndChecks(text: string, why: string[]): { until: string | null; checks: string[] } {
  const checks: string[] = [];
  let until: string | null = null;
  const m = QUOTED_UNTIL.exec(text) ?? BARE_UNTIL.exec(text);
  const cmd = m?.[1]?.trim();
  if (cmd !== undefined && cmd !== '') {
    until = cmd.slice(0, 10_000);
    checks.push(`\`${until}\` exits 0`);
    why.push(`Until \`${until}\` passes: the loop ends when that command exits 0 after an iteration.`);
  } else {
    const vague = VAGUE_UNTIL.exec(text);
    if (vague !== null) {
      why.push(`No until-check: the request says "${vague[0]}" but names no command; name one (until \`npm test\` passes) to have Cortical check it, otherwise the loop ends when the agent says it is done.`);
    } else {
      why.push('No until-check: the loop ends when the agent says it is done (or a guardrail stops it).');
    }
  }
  const vagueWhat = VAGUE_UNTIL.exec(text)?.[1]?.toLowerCase() ?? '';
  if (TESTS_PASS.test(text) || vagueWhat.startsWith('test')) {
    checks.push('tests pass');
    why.push('Checks that the tests pass: the request asks for it.');
  }
  if (/\blint(?:er)?\s+(?:passes|is clean|is green)\b|\buntil\s+(?:the\s+)?lint/i.test(text)) checks.push('lint passes');
  if (/\b(?:build|it)\s+(?:passes|succeeds|compiles)\b|\buntil\s+(?:the\s+)?build/i.test(text)) checks.push('the build succeeds');
  return { until, checks };
}

function readProject(text: string, given: string | null, why: string[]): string {
  const named = /\b(?:in|for|under)\s+(?:the\s+)?project\s+[`'"]?([A-Za-z0-9][A-Za-z0-9._-]{0,62})|\bproject\s*[:=]\s*[`'"]?([A-Za-z0-9][A-Za-z0-9._-]{0,62})/i.exec(text);
  const fromText = (named?.[1] ?? named?.[2] ?? '').replace(/[._-]+$/, '').toLowerCase();
  if (given !== null && given !== '') {
    why.push(`Project ${given}: given with the request${fromText !== '' && fromText !== given ? ` (the text names ${fromText}; the given one wins)` : ''}.`);
    return given;
  }
  if (fromText !== '' && PROJECT_RE.test(fromText)) {
    why.push(`Project ${fromText}: named in the request; usage counts against its budget.`);
    return fromText;
  }
  why.push('Project default: the request names none.');
  return 'default';
}

function readRepo(text: string, why: string[]): string | null {
  const m = /\b(?:in|on|for|of|at)\s+(?:the\s+)?(?:repo|repository|checkout)\s+(?:at\s+)?[`'"]?((?:\/|~\/|\.{1,2}\/)[^\s`'",;]*|[A-Za-z0-9][^\s`'",;]*\/[^\s`'",;]*)/i.exec(text);
  const path = m?.[1]?.replace(/[.!?:)]+$/, '') ?? null;
  if (path === null || path === '' || path.length > 4096) {
    why.push('Repository: none named; the task starts in an empty workspace.');
    return null;
  }
  why.push(`Repository ${path}: named in the request; the task works on a copy of it.`);
  return path;
}

/** For tests and docs: the agents the rule planner recognises by name. */
export const RECOGNISED_AGENTS: readonly string[] = [...new Set(AGENT_WORDS.map((a) => a.agent))];

/** Joined for messages ("claude, codex and gemini"). */
export function recognisedAgentsText(): string {
  return joinWords(RECOGNISED_AGENTS);
}
