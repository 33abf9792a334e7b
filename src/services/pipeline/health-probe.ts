/**
 * Health probing of a shadow service: wait for its first HTTP 200 (up to `startTimeoutMs`), then
 * require every probe to answer 200 for `greenForMs`. One non-200 answer (or a refused or timed
 * out request) after the first 200 fails the probe.
 */
import { get as httpGet } from 'node:http';

export interface ProbeHealthInput {
  readonly url: string;
  /** How long every probe must answer 200 after the first one did. */
  readonly greenForMs: number;
  /** Pause between probes (default 200 ms). */
  readonly intervalMs?: number;
  /** Most time allowed until the first 200. */
  readonly startTimeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProbe?: ((ok: boolean) => void) | undefined;
}

export interface ProbeHealthResult {
  readonly passed: boolean;
  readonly probes: number;
  readonly okProbes: number;
  /** How long it stayed green (from the first 200 to the last good probe). */
  readonly greenForMs: number;
  readonly reason?: string;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** One GET (node:http: no pooled connection, no port block list); the status, or the error. */
function probeOnce(url: string, timeoutMs: number): Promise<{ status: number | null; error?: string }> {
  return new Promise((done) => {
    let settled = false;
    const finish = (r: { status: number | null; error?: string }): void => {
      if (settled) return;
      settled = true;
      done(r);
    };
    try {
      const req = httpGet(url, { agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
        res.resume();
        res.on('end', () => finish({ status: res.statusCode ?? null }));
        res.on('error', (e) => finish({ status: null, error: e.message }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => finish({ status: null, error: e.code ?? e.message }));
    } catch (e) {
      finish({ status: null, error: (e as Error).message });
    }
  });
}

export async function probeHealth(input: ProbeHealthInput): Promise<ProbeHealthResult> {
  const intervalMs = input.intervalMs ?? 200;
  const requestTimeoutMs = Math.max(2_000, intervalMs * 5);
  const t0 = performance.now();
  let probes = 0;
  let okProbes = 0;
  let firstOkAt: number | null = null;
  let lastOkAt = 0;
  const result = (passed: boolean, reason?: string): ProbeHealthResult => ({
    passed,
    probes,
    okProbes,
    greenForMs: firstOkAt === null ? 0 : Math.round(lastOkAt - firstOkAt),
    ...(reason === undefined ? {} : { reason }),
  });
  const aborted = (): boolean => input.signal?.aborted === true;
  for (;;) {
    if (aborted()) return result(false, 'aborted');
    const r = await probeOnce(input.url, requestTimeoutMs);
    if (aborted()) return result(false, 'aborted');
    const now = performance.now();
    const ok = r.status === 200;
    probes++;
    if (ok) okProbes++;
    input.onProbe?.(ok);
    if (firstOkAt === null) {
      if (ok) {
        firstOkAt = now;
        lastOkAt = now;
      } else if (now - t0 >= input.startTimeoutMs) {
        return result(false, `no HTTP 200 within ${input.startTimeoutMs} ms (last: ${r.status ?? r.error ?? 'no answer'})`);
      }
    } else if (!ok) {
      return result(false, `probe ${probes} answered ${r.status ?? r.error ?? 'nothing'} after ${Math.round(now - firstOkAt)} ms green`);
    } else {
      lastOkAt = now;
    }
    if (firstOkAt !== null && lastOkAt - firstOkAt >= input.greenForMs) return result(true);
    await sleep(intervalMs, input.signal);
  }
}
