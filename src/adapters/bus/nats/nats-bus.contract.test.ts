import { describe, it } from 'vitest';
import { describeBusContract } from '../bus.contract.js';
import { NatsBus } from './nats-bus.js';
import { natsAvailable, TEST_NATS_URL, uniqueNames } from './nats-test-support.js';

const available = await natsAvailable();

if (available) {
  // A fresh prefix for every test: tests sharing the server never see each other's messages.
  describeBusContract('NatsBus', () => NatsBus.connect({ servers: TEST_NATS_URL, subjectPrefix: uniqueNames('contract').subjectPrefix }));
} else {
  describe('Bus contract: NatsBus', () => {
    it.skip(`skipped: no NATS at ${TEST_NATS_URL}`, () => undefined);
  });
}
