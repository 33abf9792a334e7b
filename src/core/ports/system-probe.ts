import type { NodeResources } from '../node.js';

/** What the node's machine has right now, reported with every heartbeat. */
export interface SystemProbe {
  resources(): NodeResources;
}
