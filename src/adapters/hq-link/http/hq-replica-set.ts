import { silentLogger, type Logger } from '../../../core/ports/logger.js';

export interface ReplicaBackoff {
  /** Wait before a failed replica is preferred again, after its first failure. */
  readonly baseMs: number;
  /** The wait doubles per failure in a row, up to this. */
  readonly maxMs: number;
}

export const DEFAULT_REPLICA_BACKOFF: ReplicaBackoff = { baseMs: 1_000, maxMs: 30_000 };

interface ReplicaState {
  readonly url: string;
  failures: number;
  /** Monotonic ms before which this replica is tried only after the others. */
  avoidUntilMs: number;
}

/**
 * The HQ replicas a node may talk to (one base URL each), used round robin with back-off:
 * requests go to the current replica; when it fails (connection refused or reset, timeout, 5xx)
 * the next one becomes current, and the failed one is tried after the others until its back-off
 * (doubling per failure in a row, reset on success) ends. Every replica serves the same API on
 * the same store, so the node's credentials are valid on all of them.
 */
export class HqReplicaSet {
  private readonly replicas: ReplicaState[];
  private currentIndex = 0;

  constructor(
    urls: readonly string[],
    private readonly backoff: ReplicaBackoff = DEFAULT_REPLICA_BACKOFF,
    private readonly logger: Logger = silentLogger,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    const unique = [...new Set(urls.map((u) => u.replace(/\/+$/, '')))];
    if (unique.length === 0) throw new Error('HqReplicaSet needs at least one HQ URL');
    this.replicas = unique.map((url) => ({ url, failures: 0, avoidUntilMs: 0 }));
  }

  get size(): number {
    return this.replicas.length;
  }

  /** The replica requests go to now. */
  get current(): string {
    return this.replicas[this.currentIndex]!.url;
  }

  get urls(): readonly string[] {
    return this.replicas.map((r) => r.url);
  }

  /**
   * Indices to try for one request, each once: round robin from the current replica, replicas
   * in back-off after the others.
   */
  order(): number[] {
    const n = this.replicas.length;
    const now = this.nowMs();
    const rotated = Array.from({ length: n }, (_, k) => (this.currentIndex + k) % n);
    return [...rotated.filter((i) => this.replicas[i]!.avoidUntilMs <= now), ...rotated.filter((i) => this.replicas[i]!.avoidUntilMs > now)];
  }

  url(index: number): string {
    return this.replicas[index]!.url;
  }

  succeeded(index: number): void {
    const r = this.replicas[index]!;
    r.failures = 0;
    r.avoidUntilMs = 0;
    if (index !== this.currentIndex) {
      this.logger.info({ hq: r.url, previous: this.current }, 'HQ replica answered; using it from now on');
      this.currentIndex = index;
    }
  }

  failed(index: number, reason: string): void {
    const r = this.replicas[index]!;
    r.failures += 1;
    const waitMs = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** (r.failures - 1));
    r.avoidUntilMs = this.nowMs() + waitMs;
    if (this.replicas.length === 1 || index !== this.currentIndex) return;
    this.currentIndex = (index + 1) % this.replicas.length;
    this.logger.warn({ from: r.url, to: this.current, reason, avoidMs: waitMs }, 'HQ replica failed; failing over to the next one');
  }
}
