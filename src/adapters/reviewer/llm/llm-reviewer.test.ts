/**
 * The LLM reviewer over real HTTP against a local scripted chat completions server: a good answer
 * becomes a review, garbage, HTTP errors, timeouts and cancels become ERROR (never ACCEPT), the key
 * stays out of the reasons, and a whole debate of two LLM reviewers fails closed on any of them.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DebateSubject, ReviewInput } from '../../../core/debate/debate-types.js';
import { RubricJudge } from '../../../core/debate/judge-rubric.js';
import { runDebate } from '../../../core/debate/run-debate.js';
import { LlmReviewer, MAX_PROMPT_ARG_CHARS, reviewerSystemPrompt, reviewerUserMessage, type ReviewerFocus } from './llm-reviewer.js';

const KEY = 'sk-reviewer-secret-9876';

interface Seen {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: { model: string; stream: boolean; messages: { role: string; content: string }[] };
}
type Handler = (req: Seen, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let seen: Seen[];
let handler: Handler;

beforeEach(async () => {
  seen = [];
  handler = (_req, res) => chat(res, '{}');
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function chat(res: ServerResponse, content: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
}

function answer(verdict: string, pc = 0.9, s = 0.8, ptp = 0.85, reasons = ['small and allowed']): string {
  return JSON.stringify({ verdict, scores: { policy_compliance: pc, simplicity: s, predicted_test_pass: ptp }, reasons });
}

function reviewer(opts: { timeoutMs?: number; focus?: ReviewerFocus; name?: string; url?: string } = {}): LlmReviewer {
  return new LlmReviewer({ endpoint: { baseUrl: `${opts.url ?? baseUrl}/`, apiKey: KEY, defaultModel: 'reviewer-7b' }, timeoutMs: opts.timeoutMs ?? 10_000, focus: opts.focus, name: opts.name });
}

const subject: DebateSubject = {
  intent: 'fix the flaky date test',
  steps: [
    { tool: 'edit_file', args: { path: 'src/date.test.ts', new_text: 'x'.repeat(5000) }, tier: 'T1', allowed: true, reasons: ['writes a file'] },
    { tool: 'run_command', args: { command: 'npm test' }, tier: 'T1', allowed: true, reasons: [] },
  ],
  policy: { allowed: true, typeable: true, problems: [], maxTier: 'T1', needsSnapshot: false, needsTripcode: false },
  checks: ['npm test'],
  diffStats: { files: 1, added: 4, removed: 2 },
};
const input: ReviewInput = { subject, round: 1, earlier: [] };

describe('LlmReviewer (real HTTP)', () => {
  it('asks chat completions with the rubric and the plan, and turns the JSON into a review', async () => {
    handler = (_req, res) => chat(res, `Here you go:\n\`\`\`json\n${answer('accept')}\n\`\`\``);
    const r = await reviewer({ focus: 'policy' }).review(input);
    expect(r).toEqual({
      reviewer: 'llm:policy:reviewer-7b',
      round: 1,
      verdict: 'ACCEPT',
      scores: { policyCompliance: 0.9, simplicity: 0.8, predictedTestPass: 0.85 },
      reasons: ['small and allowed'],
    });
    const req = seen.at(-1)!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.body.model).toBe('reviewer-7b');
    expect(req.body.stream).toBe(false);
    const [system, user] = req.body.messages;
    expect(system!.role).toBe('system');
    expect(system!.content).toBe(reviewerSystemPrompt('policy'));
    expect(system!.content).toMatch(/policy_compliance \(weight 0\.5\), simplicity \(weight 0\.2\), predicted_test_pass \(weight 0\.3/);
    expect(system!.content).toMatch(/risk reviewer/);
    const sent = JSON.parse(user!.content);
    expect(sent).toMatchObject({ round: 1, intent: 'fix the flaky date test', checks: ['npm test'], policy: { allowed: true, maxTier: 'T1' }, diffStats: { files: 1 } });
    expect(sent.steps[1]).toEqual({ n: 2, tool: 'run_command', tier: 'T1', allowed: true, reasons: [], args: { command: 'npm test' } });
    expect(sent.steps[0].args.new_text.length).toBeLessThan(MAX_PROMPT_ARG_CHARS + 50);
  });

  it('shows the earlier rounds in round 2', () => {
    const msg = JSON.parse(
      reviewerUserMessage({
        subject,
        round: 2,
        earlier: [{ reviewer: 'other', round: 1, verdict: 'REJECT', scores: { policyCompliance: 0.2, simplicity: 1, predictedTestPass: 0.5 }, reasons: ['too risky'] }],
      }),
    );
    expect(msg.earlierReviews).toEqual([{ reviewer: 'other', round: 1, verdict: 'REJECT', scores: { policy_compliance: 0.2, simplicity: 1, predicted_test_pass: 0.5 }, reasons: ['too risky'] }]);
  });

  it('a garbage answer is ERROR', async () => {
    const cases: [(res: ServerResponse) => void, RegExp][] = [
      [(res) => chat(res, 'Looks good to me, ship it!'), /without a JSON object/],
      [(res) => chat(res, '{"verdict": "ACCEPT", '), /without a JSON object/],
      [(res) => chat(res, '{"verdict": ACCEPT}'), /does not parse/],
      [(res) => chat(res, answer('ACCEPT', 1.4)), /not valid \(scores\.policy_compliance: a score is at most 1\)/],
      [(res) => chat(res, answer('YES')), /not valid \(verdict/],
      [(res) => chat(res, JSON.stringify({ verdict: 'ACCEPT' })), /not valid \(scores/],
      [(res) => chat(res, JSON.stringify({ verdict: 'ACCEPT', scores: { policy_compliance: 1, simplicity: 1, predicted_test_pass: 1 }, reasons: 'fine' })), /not valid \(reasons/],
      [(res) => chat(res, ''), /without text/],
      [(res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>'), /something other than JSON/],
    ];
    for (const [reply, why] of cases) {
      handler = (_req, res) => reply(res);
      const r = await reviewer().review(input);
      expect(r.verdict).toBe('ERROR');
      expect(r.scores).toEqual({ policyCompliance: 0, simplicity: 0, predictedTestPass: 0 });
      expect(r.reasons.join(' ')).toMatch(why);
    }
  });

  it('an HTTP 500 is ERROR, and the key never shows', async () => {
    handler = (_req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `internal failure for key ${KEY}` } }));
    const r = await reviewer().review(input);
    expect(r.verdict).toBe('ERROR');
    expect(r.reasons).toEqual(['the model endpoint answered HTTP 500: internal failure for key [redacted]']);
    expect(JSON.stringify(r)).not.toContain(KEY);
  });

  it('a slow answer is ERROR after the timeout', async () => {
    handler = (_req, res) => {
      const t = setTimeout(() => chat(res, answer('ACCEPT')), 20_000);
      res.on('close', () => clearTimeout(t));
    };
    const started = performance.now();
    const r = await reviewer({ timeoutMs: 300 }).review(input);
    expect(r.verdict).toBe('ERROR');
    expect(r.reasons).toEqual(['the model did not answer within 300 ms']);
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('a cancel is ERROR', async () => {
    handler = (_req, res) => {
      const t = setTimeout(() => chat(res, answer('ACCEPT')), 20_000);
      res.on('close', () => clearTimeout(t));
    };
    const c = new AbortController();
    const pending = reviewer().review(input, c.signal);
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    c.abort();
    const r = await pending;
    expect(r).toMatchObject({ verdict: 'ERROR', reasons: ['the review was cancelled'] });
  });

  it('an unreachable endpoint is ERROR', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await reviewer({ url: `http://127.0.0.1:${port}/v1` }).review(input);
    expect(r.verdict).toBe('ERROR');
    expect(r.reasons[0]).toMatch(/^cannot reach the model endpoint/);
  });

  it('needs a model and a positive timeout', () => {
    expect(() => new LlmReviewer({ endpoint: { baseUrl: 'http://x', apiKey: 'none', defaultModel: null }, timeoutMs: 10 })).toThrow(/needs a model/);
    expect(() => new LlmReviewer({ endpoint: { baseUrl: 'http://x', apiKey: 'none', defaultModel: 'm' }, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(new LlmReviewer({ endpoint: { baseUrl: 'http://x', apiKey: 'none', defaultModel: 'm' }, timeoutMs: 10, model: 'other', name: 'a' })).toMatchObject({ name: 'a', model: 'other' });
  });
});

describe('a debate of two LLM reviewers (real HTTP)', () => {
  /** Answers by the reviewer's focus (read from the system prompt). */
  function byFocus(policy: (res: ServerResponse) => void, simplicity: (res: ServerResponse) => void): Handler {
    return (req, res) => (req.body.messages[0]!.content.includes('risk reviewer') ? policy(res) : simplicity(res));
  }
  const pair = (): [LlmReviewer, LlmReviewer] => [reviewer({ focus: 'policy' }), reviewer({ focus: 'simplicity' })];

  it('accepts when both accept (one round, two calls)', async () => {
    handler = byFocus((res) => chat(res, answer('ACCEPT')), (res) => chat(res, answer('ACCEPT')));
    const out = await runDebate({ subject, reviewers: pair(), judge: new RubricJudge() });
    expect(out).toMatchObject({ decision: 'ACCEPT', agreed: true, rounds: 1 });
    expect(seen).toHaveLength(2);
  });

  it('fails closed when one model answers garbage or errs', async () => {
    for (const bad of [(res: ServerResponse) => chat(res, 'sure'), (res: ServerResponse) => res.writeHead(500).end()]) {
      handler = byFocus((res) => chat(res, answer('ACCEPT')), bad);
      const out = await runDebate({ subject, reviewers: pair(), judge: new RubricJudge() });
      expect(out).toMatchObject({ decision: 'ERROR', rounds: 1 });
      expect(out.log.find((e) => e.event === 'review_error')?.who).toBe('llm:simplicity:reviewer-7b');
    }
  });

  it('a disagreement goes two rounds to the judge, and round 2 sees round 1', async () => {
    handler = byFocus((res) => chat(res, answer('REJECT', 0.4, 0.9, 0.8, ['rewrites a test file wholesale'])), (res) => chat(res, answer('ACCEPT', 1, 0.8, 0.9)));
    const out = await runDebate({ subject, reviewers: pair(), judge: new RubricJudge() });
    expect(out).toMatchObject({ agreed: false, rounds: 2, decision: 'ACCEPT' });
    // mean 0.7 / 0.85 / 0.85 → 0.35 + 0.17 + 0.255 = 0.775
    expect(out.score).toBeCloseTo(0.775, 6);
    expect(seen).toHaveLength(4);
    const round2 = JSON.parse(seen[2]!.body.messages[1]!.content) as { round: number; earlierReviews: { verdict: string }[] };
    expect(round2.round).toBe(2);
    expect(round2.earlierReviews.map((r) => r.verdict)).toEqual(['REJECT', 'ACCEPT']);
  });
});
