/** Identifier generation is a port: core code never calls a random source itself. */
export interface IdGenerator {
  /** A new unique, URL-safe id with the given prefix, e.g. `task_01h…`. Sortable by creation time. */
  newId(prefix: IdPrefix): string;
}

export type IdPrefix = 'task' | 'node' | 'tok' | 'gd' | 'att' | 'cmd' | 'hq' | 'pipe' | 'dry';

/** Deterministic ids for tests: `task_000001`, `task_000002`, … */
export class SequentialIds implements IdGenerator {
  private n = 0;
  newId(prefix: IdPrefix): string {
    this.n += 1;
    return `${prefix}_${String(this.n).padStart(6, '0')}`;
  }
}
