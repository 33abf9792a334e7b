import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { NodeResources } from '../../../core/node.js';
import type { SystemProbe } from '../../../core/ports/system-probe.js';

const MB = 1024 * 1024;

/** Resources of this machine from node:os. */
export class OsSystemProbe implements SystemProbe {
  resources(): NodeResources {
    return {
      cpuCount: Math.max(1, cpus().length),
      loadAvg1: Math.max(0, loadavg()[0] ?? 0),
      memTotalMb: Math.round(totalmem() / MB),
      memFreeMb: Math.round(freemem() / MB),
    };
  }
}
