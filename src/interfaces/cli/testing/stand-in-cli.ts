/** Test setup for client commands against a STAND-IN HQ (./stand-in-hq.ts). */
import { afterEach, beforeEach } from 'vitest';
import { runCli } from '../program.js';
import type { ServerRunners } from '../server-runners.js';
import { fakeIo } from './fake-io.js';
import { T0 } from './fixtures.js';
import { StandInHq } from './stand-in-hq.js';

export const TOKEN = 'tok_test.secret-secret-secret';

/** Runners for `up`, `hq`, `node` and `gc`: client command tests never start servers. */
export const noRunners: ServerRunners = {
  up: () => Promise.reject(new Error('unused')),
  hq: () => Promise.reject(new Error('unused')),
  node: () => Promise.reject(new Error('unused')),
  gc: () => Promise.reject(new Error('unused')),
};

/**
 * A fresh stand-in HQ for every test of the calling file (`hq()`), and `cli(...argv)`, which runs
 * the whole program against it with TOKEN at T0 + 3 s.
 */
export function useStandInHq(): { hq: () => StandInHq; cli: (...argv: string[]) => Promise<{ code: number; out: string; err: string }> } {
  let current: StandInHq | null = null;
  beforeEach(async () => {
    current = await new StandInHq().start();
  });
  afterEach(async () => {
    await current?.stop();
    current = null;
  });
  const hq = (): StandInHq => {
    if (current === null) throw new Error('the stand-in HQ runs only inside a test');
    return current;
  };
  const cli = async (...argv: string[]) => {
    const io = fakeIo(argv, { env: { CORTICAL_HQ: hq().url, CORTICAL_TOKEN: TOKEN }, now: () => T0 + 3000 });
    const code = await runCli(io, noRunners);
    return { code, out: io.out(), err: io.errText() };
  };
  return { hq, cli };
}
