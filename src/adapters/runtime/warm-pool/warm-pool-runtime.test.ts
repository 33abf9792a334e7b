import { afterAll, describe, expect, it } from 'vitest';
import { BubblewrapRuntime } from '../bubblewrap/bubblewrap-runtime.js';
import { describeRuntimeContract } from '../runtime.contract.js';
import { warmLayout, warmRuntime } from './warm-pool-test-kit.js';

const available = await BubblewrapRuntime.available();

if (available) {
  // The contract's working directory is made inside the workspaces anchor, so its spawns claim
  // warm sleeves (and fall back to cold ones only while the pool refills).
  const layout = warmLayout('cortical-warm-contract-');
  const runtime = warmRuntime(layout);
  await runtime.pool.whenFull();
  describeRuntimeContract('bubblewrap with a warm pool', () => runtime, { pidNamespace: true, parentDir: layout.anchors[0] });

  describe('warm pool under the runtime contract', () => {
    afterAll(async () => {
      await runtime.close();
      layout.remove();
    });

    it('served most contract spawns from warm sleeves', () => {
      const stats = runtime.pool.stats();
      expect(stats.claims).toBeGreaterThanOrEqual(5);
      expect(stats.refillFailures).toBe(0);
      const reasons = Object.entries(stats.fallbacks).filter(([, n]) => n > 0).map(([r]) => r);
      // the stdin-kept-open contract case is served cold by design (live input)
      expect(reasons.every((r) => r === 'no_idle_entry' || r === 'live_stdin')).toBe(true);
      expect(stats.fallbacks.live_stdin).toBe(1);
    });
  });
} else {
  describe('Runtime contract: bubblewrap with a warm pool', () => {
    it.skip('skipped: bwrap not available', () => undefined);
  });
}
