import { describe, expect, it } from 'vitest';
import { describeSleeveRuntime } from './sandbox.js';

describe('describeSleeveRuntime', () => {
  it('labels the process runtime unsandboxed and lists the mechanisms of a sandbox', () => {
    expect(describeSleeveRuntime({ name: 'process', sandboxed: false })).toBe(
      'sleeve runtime process: UNSANDBOXED (no filesystem, network or resource isolation)',
    );
    expect(describeSleeveRuntime({ name: 'bubblewrap', sandboxed: true, enforcement: { memoryMb: 'cgroup-v1', network: 'namespace' } })).toBe(
      'sleeve runtime bubblewrap: sandboxed (memoryMb: cgroup-v1, network: namespace)',
    );
  });
});
