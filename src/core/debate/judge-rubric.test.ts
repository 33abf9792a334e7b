import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DebateSubject, Review, RubricScores, Verdict } from './debate-types.js';
import { latestReviews, policyComplianceCap, RUBRIC_WEIGHTS, RubricJudge, rubricScores, scoresProblem, weightedScore } from './judge-rubric.js';

function subject(over: Partial<DebateSubject> = {}, policy: Partial<DebateSubject['policy']> = {}): DebateSubject {
  return {
    intent: 'rename a helper',
    steps: [{ tool: 'edit_file', args: { path: 'src/a.ts' }, tier: 'T1', allowed: true, reasons: [] }],
    policy: { allowed: true, typeable: true, problems: [], maxTier: 'T1', needsSnapshot: false, needsTripcode: false, ...policy },
    checks: ['npm test'],
    ...over,
  };
}

const S = (policyCompliance: number, simplicity: number, predictedTestPass: number): RubricScores => ({ policyCompliance, simplicity, predictedTestPass });
const rev = (reviewer: string, round: number, verdict: Verdict, scores: RubricScores): Review => ({ reviewer, round, verdict, scores, reasons: [] });

describe('rubric', () => {
  it('weighs policy compliance 0.5, simplicity 0.2, predicted test pass 0.3', () => {
    expect(RUBRIC_WEIGHTS).toEqual({ policyCompliance: 0.5, simplicity: 0.2, predictedTestPass: 0.3 });
    expect(weightedScore(S(1, 0, 0))).toBe(0.5);
    expect(weightedScore(S(0, 1, 0))).toBe(0.2);
    expect(weightedScore(S(0, 0, 1))).toBe(0.3);
    expect(weightedScore(S(0.7, 0.7, 0.7))).toBe(0.7);
    expect(weightedScore(S(0.8, 0.5, 0.6))).toBe(0.68);
  });

  it('stays in [0, 1] and grows with every score', () => {
    const unit = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(unit, unit, unit, unit, (a, b, c, bump) => {
        const w = weightedScore(S(a, b, c));
        expect(w).toBeGreaterThanOrEqual(0);
        expect(w).toBeLessThanOrEqual(1);
        expect(weightedScore(S(Math.max(a, bump), b, c))).toBeGreaterThanOrEqual(w);
      }),
    );
  });

  it('names what is wrong with invalid scores', () => {
    expect(scoresProblem(S(0, 0.5, 1))).toBeNull();
    expect(scoresProblem(null)).toMatch(/must be an object/);
    expect(scoresProblem(S(1.1, 0, 0))).toMatch(/policyCompliance must be a number in \[0, 1\], got 1.1/);
    expect(scoresProblem({ policyCompliance: 1, simplicity: '1', predictedTestPass: 1 })).toMatch(/simplicity/);
    expect(scoresProblem(S(1, 1, Number.POSITIVE_INFINITY))).toMatch(/predictedTestPass/);
  });

  it('caps policy compliance by the policy facts', () => {
    expect(policyComplianceCap(subject())).toBe(1);
    expect(policyComplianceCap(subject({}, { allowed: false }))).toBe(0);
    expect(policyComplianceCap(subject({}, { typeable: false }))).toBe(0);
    expect(policyComplianceCap(subject({ steps: [{ tool: 'run_command', args: { command: 'x' }, tier: 'T1', allowed: false, reasons: ['denied'] }] }))).toBe(0);
    expect(policyComplianceCap(subject({}, { problems: ['odd'] }))).toBe(0.3);
    expect(policyComplianceCap(subject({}, { maxTier: 'T3', needsSnapshot: true }))).toBe(0.2);
    expect(policyComplianceCap(subject({}, { maxTier: 'T3', needsSnapshot: true, needsTripcode: true }))).toBe(1);
    expect(policyComplianceCap(subject({}, { maxTier: 'T2' }))).toBe(0.2);
  });
});

describe('RubricJudge', () => {
  it('averages each reviewer\'s latest usable scores', async () => {
    const reviews = [rev('a', 1, 'ACCEPT', S(0.2, 0.2, 0.2)), rev('b', 1, 'REJECT', S(0.4, 0.4, 0.4)), rev('a', 2, 'ACCEPT', S(1, 0.6, 0.8)), rev('b', 2, 'REJECT', S(0.6, 0.4, 0.6))];
    expect(latestReviews(reviews).map((r) => [r.reviewer, r.round])).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
    const scores = await new RubricJudge().judge({ subject: subject(), reviews });
    expect(scores.policyCompliance).toBeCloseTo(0.8, 9);
    expect(scores.simplicity).toBeCloseTo(0.5, 9);
    expect(scores.predictedTestPass).toBeCloseTo(0.7, 9);
  });

  it('caps by policy facts and missing checks, and scores 0 without opinions', () => {
    const reviews = [rev('a', 1, 'ACCEPT', S(1, 1, 1)), rev('b', 1, 'REJECT', S(1, 1, 1))];
    expect(rubricScores({ subject: subject({}, { allowed: false }), reviews }).policyCompliance).toBe(0);
    expect(rubricScores({ subject: subject({ checks: [] }), reviews }).predictedTestPass).toBe(0.3);
    expect(rubricScores({ subject: subject({ checks: ['  '] }), reviews }).predictedTestPass).toBe(0.3);
    expect(rubricScores({ subject: subject(), reviews: [rev('a', 1, 'ERROR', S(1, 1, 1))] })).toEqual(S(0, 0, 0));
  });
});
