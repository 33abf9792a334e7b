/**
 * Gets each guidance to the agent exactly once, the best way the driver can: into the running
 * iteration (`live`, or `interrupt_resume`) when the driver's run takes it, else with the next
 * iteration's prompt (`next_iteration`). Records how each one went, for HQ.
 */
import type { AgentRun, GuidanceDelivery } from '../../core/ports/agent-driver.js';
import type { Guidance } from '../../core/task.js';

export interface Delivered {
  readonly seq: number;
  readonly mode: GuidanceDelivery;
}

export class GuidanceCourier {
  private readonly delivered = new Set<number>();
  private readonly inFlight = new Set<number>();
  private highestSeq = 0;
  private readonly log: Delivered[] = [];

  constructor(private readonly onDelivered: (all: { deliveredSeq: number; deliveries: readonly Delivered[] }, now: readonly Delivered[]) => void) {}

  /** Guidance not delivered yet and not on its way, oldest first. */
  undelivered(pending: readonly Guidance[]): Guidance[] {
    return pending.filter((g) => !this.delivered.has(g.seq) && !this.inFlight.has(g.seq)).sort((a, b) => a.seq - b.seq);
  }

  /** The guidance went out with an iteration's prompt. */
  withPrompt(guidance: readonly Guidance[]): void {
    this.mark(guidance, 'next_iteration');
  }

  /**
   * Tries to deliver `guidance` into `run` now, one at a time in order; what the run refuses
   * stays undelivered (it goes with the next iteration). Never throws.
   */
  async intoRun(run: AgentRun, guidance: readonly Guidance[]): Promise<void> {
    if (run.guide === undefined) return;
    for (const g of guidance) this.inFlight.add(g.seq);
    try {
      for (const g of guidance) {
        let mode: GuidanceDelivery;
        try {
          mode = await run.guide(g.text);
        } catch {
          return;
        }
        this.inFlight.delete(g.seq);
        this.mark([g], mode);
      }
    } finally {
      for (const g of guidance) this.inFlight.delete(g.seq);
    }
  }

  private mark(guidance: readonly Guidance[], mode: GuidanceDelivery): void {
    const now = guidance.filter((g) => !this.delivered.has(g.seq)).map((g) => ({ seq: g.seq, mode }));
    if (now.length === 0) return;
    for (const d of now) {
      this.delivered.add(d.seq);
      this.highestSeq = Math.max(this.highestSeq, d.seq);
      this.log.push(d);
    }
    if (this.log.length > 1000) this.log.splice(0, this.log.length - 1000);
    this.onDelivered({ deliveredSeq: this.highestSeq, deliveries: [...this.log] }, now);
  }
}

/** The task's prompt with new guidance appended. */
export function iterationPrompt(prompt: string, guidance: readonly Guidance[]): string {
  if (guidance.length === 0) return prompt;
  return `${prompt}\n\n## Guidance from the operator\n\n${guidance.map((g) => `- ${g.text}`).join('\n')}\n`;
}
