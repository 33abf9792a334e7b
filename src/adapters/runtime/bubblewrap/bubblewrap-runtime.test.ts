import { describe, it } from 'vitest';
import { describeRuntimeContract } from '../runtime.contract.js';
import { BubblewrapRuntime } from './bubblewrap-runtime.js';

const available = await BubblewrapRuntime.available();

if (available) {
  describeRuntimeContract('bubblewrap', () => new BubblewrapRuntime(), { pidNamespace: true });
} else {
  describe('Runtime contract: bubblewrap', () => {
    it.skip('skipped: bwrap not available', () => undefined);
  });
}
