import type { NodeIdentity } from './hq-link.js';

/** Where a node keeps its identity between restarts (a private file in production). */
export interface NodeStateStore {
  /** The stored identity, or null when the node has not joined yet. */
  load(): Promise<NodeIdentity | null>;
  save(identity: NodeIdentity): Promise<void>;
  clear(): Promise<void>;
}
