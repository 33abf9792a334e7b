import type Docker from 'dockerode';
import { signalOfExitCode } from '../exit-signal.js';
import type { Readable } from 'node:stream';
import type { Sleeve, SleeveExit } from '../../../core/ports/runtime.js';
import type { SleeveEndReason, SleeveLimits } from '../../../core/sandbox.js';
import { sleeveLines, type SleeveLine } from '../process/sleeve-lines.js';

/** How long a SIGKILLed container gets to be reported gone before the sleeve gives up on it. */
const KILL_WAIT_MS = 10_000;
/** Retries of a lost `wait` connection (one per second) before the exit is reported unknown. */
const WAIT_RETRIES = 30;


export interface DockerSleeveOptions {
  readonly limits: SleeveLimits;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly maxLineChars?: number | undefined;
  readonly lineHighWater?: number | undefined;
}

/** What the engine reported about a finished container (null fields: it could not be asked). */
interface ContainerEnd {
  readonly exitCode: number | null;
  readonly oomKilled: boolean;
  readonly error: string | null;
}

function statusOf(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'statusCode' in e ? Number(e.statusCode) : undefined;
}

/**
 * One Docker container. `pid` is the host pid of the container's init (the engine's, which runs
 * the command as its child and forwards signals to it). When the command ends, init ends and the
 * kernel kills whatever else is left in the container's pid namespace. Init reports a death by
 * signal N as exit code 128+N; it is mapped back to the signal's name. The container is removed
 * once its end has been read.
 */
export class DockerSleeve implements Sleeve {
  readonly lines: AsyncIterable<SleeveLine>;
  readonly exited: Promise<SleeveExit>;
  /** Resolves when the engine reports the container stopped. */
  private readonly ended: Promise<ContainerEnd>;
  private stopping: Promise<void> | null = null;
  private stopRequestedBeforeExit = false;
  private killedAfterGrace = false;
  private gone = false;
  private settled = false;
  private paused = false;
  /** pause/unpause calls, in order. */
  private ops: Promise<void> = Promise.resolve();

  constructor(
    private readonly container: Docker.Container,
    readonly pid: number,
    private readonly options: DockerSleeveOptions,
  ) {
    this.lines = sleeveLines(options.stdout, options.stderr, options);
    this.ended = this.waitForEnd().then((end) => {
      this.gone = true;
      return end;
    });
    this.exited = this.ended.then(async (end) => {
      if (this.stopping !== null) await this.stopping;
      const exit = this.finish(end);
      await this.container.remove({ force: true, v: true }).catch(() => undefined);
      this.settled = true;
      return exit;
    });
  }

  suspend(): void {
    if (this.gone || this.stopping !== null) return;
    this.ops = this.ops.then(async () => {
      if (this.gone || this.paused) return;
      await this.container.pause().then(
        () => (this.paused = true),
        () => undefined,
      );
    });
  }

  resume(): void {
    if (this.gone || this.stopping !== null) return;
    this.ops = this.ops.then(() => this.unpause());
  }

  private async unpause(): Promise<void> {
    if (this.gone || !this.paused) return;
    await this.container.unpause().then(
      () => (this.paused = false),
      () => undefined,
    );
  }

  stop(graceMs: number): Promise<SleeveExit> {
    if (this.settled) return this.exited;
    if (this.stopping === null) {
      if (!this.gone) this.stopRequestedBeforeExit = true;
      this.stopping = this.terminate(graceMs);
    }
    return this.stopping.then(() => this.exited);
  }

  /** Whether the container ended within `ms`. */
  private goneWithin(ms: number): Promise<boolean> {
    if (this.gone) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.gone), ms);
      void this.ended.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private async kill(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    // 409/404: not running (any more) or already removed; the wait reports the end.
    await this.container.kill({ signal }).catch(() => undefined);
  }

  /**
   * A paused container is thawed first (the engine will not signal it); SIGTERM to init, which
   * passes it on to the command; after the grace, SIGKILL to init, which takes the whole pid
   * namespace down; a forced removal if even that does not end it. Timing is the node's own, so
   * grace periods below a second hold.
   */
  private async terminate(graceMs: number): Promise<void> {
    await this.ops;
    if (this.gone) return;
    await this.unpause();
    if (graceMs > 0) {
      await this.kill('SIGTERM');
      if (await this.goneWithin(graceMs)) return;
    }
    this.killedAfterGrace = true;
    await this.kill('SIGKILL');
    if (await this.goneWithin(KILL_WAIT_MS)) return;
    // Still there (the engine refused the signal): a forced removal ends it in any state.
    await this.container.remove({ force: true, v: true }).catch(() => undefined);
    await this.goneWithin(KILL_WAIT_MS);
  }

  /** The container's end from the engine; a lost connection is retried, then reported unknown. */
  private async waitForEnd(): Promise<ContainerEnd> {
    let lastError = '';
    for (let attempt = 0; attempt <= WAIT_RETRIES; attempt += 1) {
      try {
        const waited = (await this.container.wait()) as { StatusCode?: number };
        return await this.inspectEnd(typeof waited.StatusCode === 'number' ? waited.StatusCode : null);
      } catch (e) {
        lastError = (e as Error).message;
        if (statusOf(e) === 404) return { exitCode: null, oomKilled: false, error: 'the container was removed by someone else' };
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    return { exitCode: null, oomKilled: false, error: `lost the docker engine: ${lastError}` };
  }

  private async inspectEnd(waitedCode: number | null): Promise<ContainerEnd> {
    try {
      const info = await this.container.inspect();
      const state = info.State as { ExitCode?: number; OOMKilled?: boolean; Error?: string };
      return {
        exitCode: typeof state.ExitCode === 'number' ? state.ExitCode : waitedCode,
        oomKilled: state.OOMKilled === true,
        error: state.Error === undefined || state.Error === '' ? null : state.Error,
      };
    } catch {
      return { exitCode: waitedCode, oomKilled: false, error: null };
    }
  }

  private finish(end: ContainerEnd): SleeveExit {
    let exitCode = end.exitCode;
    let signal: string | null = null;
    if (exitCode !== null && exitCode > 128) {
      const name = signalOfExitCode(exitCode);
      if (name !== null) {
        signal = name;
        exitCode = null;
      }
    }
    const endedBy = this.killedAfterGrace ? 'killed_after_grace' : this.stopRequestedBeforeExit ? 'stopped' : 'exit';
    const found = this.classify(end, signal);
    if (found !== null && found.reason !== endedBy) return { exitCode, signal, endedBy, reason: found.reason, detail: found.detail };
    // The engine could not say how it ended (its connection was lost): say so.
    if (end.error !== null && end.exitCode === null) return { exitCode, signal, endedBy, detail: end.error };
    return { exitCode, signal, endedBy };
  }

  private classify(end: ContainerEnd, signal: string | null): { reason: SleeveEndReason; detail: string } | null {
    const { limits } = this.options;
    if (end.oomKilled) return { reason: 'oom', detail: `memory limit ${limits.memoryMb} MB reached (killed by the kernel's OOM killer)` };
    if (signal === 'SIGXFSZ') return { reason: 'file_size_limit', detail: `file size limit ${limits.maxFileSizeMb} MB reached` };
    return null;
  }
}
