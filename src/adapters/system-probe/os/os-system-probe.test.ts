import { describe, expect, it } from 'vitest';
import { NodeResourcesSchema } from '../../../contract/node-schemas.js';
import { OsSystemProbe } from './os-system-probe.js';

describe('OsSystemProbe', () => {
  it('reports resources that satisfy the wire schema', () => {
    const r = new OsSystemProbe().resources();
    expect(NodeResourcesSchema.parse(r)).toEqual(r);
    expect(r.cpuCount).toBeGreaterThan(0);
    expect(r.memTotalMb).toBeGreaterThan(0);
  });
});
