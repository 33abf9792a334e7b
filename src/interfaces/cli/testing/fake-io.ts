/** A `CliIo` for tests: captured output, a fixed environment, no process access. */
import type { CliIo } from '../cli-io.js';

export interface FakeIo extends CliIo {
  readonly out: () => string;
  readonly errText: () => string;
}

export function fakeIo(argv: readonly string[], overrides: Partial<CliIo> = {}): FakeIo {
  let stdout = '';
  let stderr = '';
  return {
    argv,
    env: {},
    cwd: '/work/here',
    homedir: '/nonexistent-home',
    fetch: globalThis.fetch,
    pollIntervalMs: 5,
    version: '0.0.0-test',
    ...overrides,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    out: () => stdout,
    errText: () => stderr,
  };
}
