import { describe, expect, it } from 'vitest';
import { auditPath, currentBefore, hasNewer, NEWEST, newer, older } from './audit-query.js';

describe('audit paging', () => {
  it('builds the query: before, limit, types and actor', () => {
    expect(auditPath({ type: '', actor: '' }, undefined)).toBe('/api/v1/audit?limit=50');
    expect(auditPath({ type: ' task.created , killswitch.changed,', actor: ' admin ' }, 120)).toBe(
      '/api/v1/audit?before=120&limit=50&type=task.created%2Ckillswitch.changed&actor=admin',
    );
  });

  it('goes older by nextBefore and back newer through the stack', () => {
    let p = NEWEST;
    expect(currentBefore(p)).toBeUndefined();
    expect(hasNewer(p)).toBe(false);
    p = older(p, 101);
    p = older(p, 51);
    expect(currentBefore(p)).toBe(51);
    expect(older(p, null)).toBe(p);
    p = newer(p);
    expect(currentBefore(p)).toBe(101);
    p = newer(p);
    expect(currentBefore(p)).toBeUndefined();
    expect(newer(p)).toBe(p);
  });
});
