/** Where each run's queue comes from: a refilled `:memory:` store or a copied database file. */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TaskCreateParsed } from '../../src/contract/task-schemas.js';
import type { Store } from '../../src/core/ports/store.js';
import type { HqConfig } from '../../src/services/hq/hq-config.js';
import type { DispatchStorage } from './dispatch-types.js';
import { openEnv, submitAll, type Env } from './store-env.js';

/**
 * Where each run's queue comes from. `:memory:` cannot be copied, so every run submits its own
 * queue (one submit-rate sample per run). A database file is filled once and copied for each run
 * (the submit rate is then sampled over `runs` consecutive chunks of that one fill).
 */
export class QueueSource {
  private template: Env | null = null;
  readonly submitRates: number[] = [];

  constructor(
    private readonly storage: DispatchStorage,
    private readonly nodes: number,
    private readonly requests: readonly TaskCreateParsed[],
    private readonly config: HqConfig,
    private readonly runs: number,
  ) {}

  /** A store holding the fleet and every request as a queued task. */
  async open(wrap?: (s: Store) => Store): Promise<Env> {
    const capacity = this.requests.length;
    if (this.storage === 'memory') {
      const env = await openEnv('memory', this.nodes, capacity, this.config, wrap === undefined ? {} : { wrap });
      this.submitRates.push(...(await submitAll(env.deps, this.requests)));
      return env;
    }
    if (this.template === null) {
      const env = await openEnv('file', this.nodes, capacity, this.config);
      this.submitRates.push(...(await submitAll(env.deps, this.requests, this.runs)));
      await env.close(true);
      this.template = env;
    }
    return openEnv('file', this.nodes, capacity, this.config, { template: this.template.file!, ...(wrap === undefined ? {} : { wrap }) });
  }

  dispose(): void {
    const file = this.template?.file;
    if (file !== undefined && file !== null) rmSync(dirname(file), { recursive: true, force: true });
    this.template = null;
  }
}
