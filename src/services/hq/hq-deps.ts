import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Bus } from '../../core/ports/bus.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Store } from '../../core/ports/store.js';
import type { HqConfig } from './hq-config.js';

/** What every HQ service is built from: ports and settings, nothing else. */
export interface HqDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly config: HqConfig;
}
