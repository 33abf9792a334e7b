import type { KillSwitch } from '../../core/ports/store.js';
import type { HqDeps } from './hq-deps.js';
import { notify } from './notify.js';

/** The fleet-wide kill switch: while on, nothing is placed and nodes stop their attempts. */
export class KillSwitchService {
  constructor(private readonly deps: HqDeps) {}

  get(): Promise<KillSwitch> {
    return this.deps.store.getKillSwitch();
  }

  async set(input: { on: boolean; reason: string | null; actor: string }): Promise<KillSwitch> {
    const ks = await this.deps.store.setKillSwitch({ ...input, nowMs: this.deps.clock.nowMs() });
    this.deps.logger.warn({ on: ks.on, reason: ks.reason, actor: input.actor }, 'kill switch changed');
    await notify(this.deps, ['killswitch.changed'], { on: ks.on });
    return ks;
  }
}
