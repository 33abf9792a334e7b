import { pino, type Logger as PinoInstance } from 'pino';
import type { Logger } from '../../../core/ports/logger.js';

/** The Logger port over pino. Writes JSON lines to the given destination (stderr by default). */
export function createPinoLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const instance = pino(
    { level: opts.level ?? 'info', base: undefined },
    (opts.destination ?? process.stderr) as NodeJS.WritableStream & { write(s: string): boolean },
  );
  return wrap(instance);
}

function wrap(p: PinoInstance): Logger {
  return {
    debug: (obj, msg) => p.debug(obj, msg),
    info: (obj, msg) => p.info(obj, msg),
    warn: (obj, msg) => p.warn(obj, msg),
    error: (obj, msg) => p.error(obj, msg),
    child: (bindings) => wrap(p.child(bindings)),
  };
}
