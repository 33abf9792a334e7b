/** Structured logging as a port (pino in production, a silent or capturing logger in tests). */
export interface Logger {
  debug(obj: Readonly<Record<string, unknown>>, msg: string): void;
  info(obj: Readonly<Record<string, unknown>>, msg: string): void;
  warn(obj: Readonly<Record<string, unknown>>, msg: string): void;
  error(obj: Readonly<Record<string, unknown>>, msg: string): void;
  child(bindings: Readonly<Record<string, unknown>>): Logger;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
