import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute path of `command` as the sleeve would find it: a path (relative to `cwd`) or a
 * name looked up in the PATH of the sleeve's environment. Null when there is none. The lookup
 * runs on the host, whose filesystem the sleeve sees read-only (minus hidden places).
 */
export function resolveCommand(command: string, cwd: string, path: string | undefined): string | null {
  if (command.includes('/')) {
    const full = isAbsolute(command) ? command : resolve(cwd, command);
    return executable(full) ? full : null;
  }
  for (const dir of (path ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue;
    const full = join(isAbsolute(dir) ? dir : resolve(cwd, dir), command);
    if (executable(full)) return full;
  }
  return null;
}
