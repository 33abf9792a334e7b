/**
 * The simulated fleet of the heartbeat bench, in a process of its own so that HQ's CPU use is
 * HQ's alone: `nodes` nodes join through `POST /api/v1/nodes/join` (one multi-use join token),
 * then each sends `POST /api/v1/nodes/{id}/heartbeat` with its access token every
 * `intervalMs` (the interval HQ hands out, default 2 s), the nodes' phases spread evenly over the
 * interval. HTTP goes through Node.js's fetch (undici), which keeps connections alive.
 */
import { performance } from 'node:perf_hooks';
import { serveParent, sleep } from './pg-bench-ipc.js';

export interface FleetStart {
  readonly url: string;
  readonly joinToken: string;
  readonly nodes: number;
  readonly intervalMs: number;
  /** Joins in flight at once. */
  readonly joinConcurrency: number;
}

export interface FleetReport {
  /** Heartbeat round trips since `mark`, ms, unsorted. */
  readonly latenciesMs: readonly number[];
  readonly errors: number;
  /** Heartbeats due since `mark` that were skipped because the node's previous one was still in flight. */
  readonly skipped: number;
  readonly firstError: string | null;
}

const RESOURCES = { cpuCount: 16, loadAvg1: 0.7, memTotalMb: 65_536, memFreeMb: 30_000 };

interface SimNode {
  readonly id: string;
  readonly token: string;
}

let stopped = false;
let latencies: number[] = [];
let errors = 0;
let skipped = 0;
let firstError: string | null = null;
let loops: Promise<void>[] = [];

async function joinAll(body: FleetStart): Promise<SimNode[]> {
  const out: SimNode[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < body.nodes) {
      const i = next++;
      const res = await fetch(`${body.url}/api/v1/nodes/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ joinToken: body.joinToken, name: `sim-${i}`, capabilities: ['linux', 'build'], slots: 4, resources: RESOURCES, version: 'bench' }),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`join of sim-${i} answered ${res.status}: ${text}`);
      const creds = JSON.parse(text) as { nodeId: string; accessToken: string };
      out.push({ id: creds.nodeId, token: creds.accessToken });
    }
  };
  await Promise.all(Array.from({ length: body.joinConcurrency }, worker));
  return out;
}

async function beat(url: string, node: SimNode, measuring: () => boolean): Promise<void> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/api/v1/nodes/${node.id}/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${node.token}` },
      body: JSON.stringify({ resources: RESOURCES }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`heartbeat answered ${res.status}: ${text.slice(0, 200)}`);
    if (measuring()) latencies.push(performance.now() - t0);
  } catch (e) {
    if (!measuring()) return;
    errors += 1;
    firstError ??= e instanceof Error ? e.message : String(e);
  }
}

/** One node's heartbeats: every `intervalMs` from `startMs + phaseMs`, never two in flight. */
async function heartbeatLoop(url: string, node: SimNode, startMs: number, phaseMs: number, intervalMs: number, measuring: () => boolean): Promise<void> {
  let due = startMs + phaseMs;
  while (!stopped) {
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (stopped) return;
    await beat(url, node, measuring);
    due += intervalMs;
    while (due < performance.now()) {
      if (measuring()) skipped += 1;
      due += intervalMs;
    }
  }
}

let measuringOn = false;

serveParent({
  /** Join every node, then start heartbeating; answers once every node has joined. */
  async start(body: FleetStart) {
    const joinStart = performance.now();
    const nodes = await joinAll(body);
    const joinMs = performance.now() - joinStart;
    const t0 = performance.now();
    loops = nodes.map((n, i) => heartbeatLoop(body.url, n, t0, (i * body.intervalMs) / nodes.length, body.intervalMs, () => measuringOn));
    return { joined: nodes.length, joinMs };
  },

  /** Start measuring (after a warm-up). */
  mark() {
    latencies = [];
    errors = 0;
    skipped = 0;
    firstError = null;
    measuringOn = true;
    return Promise.resolve(null);
  },

  report(): Promise<FleetReport> {
    measuringOn = false;
    return Promise.resolve({ latenciesMs: latencies, errors, skipped, firstError });
  },

  async stop() {
    stopped = true;
    await Promise.all(loops);
    return null;
  },
});
