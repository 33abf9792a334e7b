/**
 * Claude Code's live stdin (`--input-format stream-json`): the prompt is the first user message;
 * guidance is written as further user messages while the iteration runs.
 *
 * Claude Code echoes each message it takes in (`--replay-user-messages`). A message that arrives
 * while the model works is folded into the running turn (it reaches the model inside the next
 * tool result as a `<system-reminder>`); one that arrives after the turn's last response runs as
 * a turn of its own, with its own `result`. stdin is ended (so the CLI exits) at the first
 * `result` by which every message written was taken in; if one is still outstanding, at the
 * next `result`, or `settleMs` after that result at the latest (data written before the end of
 * stdin is still read and run by the CLI). After stdin has ended, `guide` throws: the guidance
 * waits for the next iteration.
 */
import { CorticalError } from '../../../core/errors.js';
import type { SleeveInput } from '../../../core/ports/runtime.js';
import { userMessageLine } from './claude-config.js';

export class ClaudeLiveInput {
  private written = 1;
  private taken = 0;
  private ended = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly input: SleeveInput | undefined,
    private readonly settleMs = 15_000,
  ) {}

  get open(): boolean {
    return !this.ended && this.input !== undefined;
  }

  /** Writes `text` as a user message; throws CONFLICT when stdin is closed. */
  guide(text: string): 'live' {
    if (!this.open || this.input === undefined || !this.input.write(userMessageLine(text))) {
      throw new CorticalError('CONFLICT', 'the Claude Code iteration no longer takes input; the guidance waits for the next iteration');
    }
    this.written += 1;
    return 'live';
  }

  /** The CLI echoed a message it took in. */
  messageTaken(): void {
    this.taken += 1;
  }

  /** A turn ended. */
  turnEnded(): void {
    if (this.taken >= this.written) {
      this.end();
      return;
    }
    if (this.timer === null) {
      this.timer = setTimeout(() => this.end(), this.settleMs);
      this.timer.unref();
    }
  }

  end(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.ended) return;
    this.ended = true;
    this.input?.end();
  }
}
