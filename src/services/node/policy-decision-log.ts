/**
 * The node's side of the tool policy for agents: drivers (claude's hook endpoint, the shell
 * agent) ask it for a task's rules and record every decision here; decisions travel to HQ with the
 * attempt's progress reports as `agent` iteration reports (`data.type` `policy` or
 * `policy_summary`), and HQ writes a `policy.decision` event for each (an audited event).
 *
 * Not every decision is sent on its own: every denial and every T2/T3 decision is; allowed T0/T1
 * decisions (file reads, workspace edits, ordinary commands) are counted and sent as one summary
 * per iteration and agent, when the iteration ends (`endIteration`) or the attempt does
 * (`detach`). So the audit log shows everything that was refused or risky without a line per
 * file read.
 *
 * Reports are numbered per attempt (`pn`), so HQ keeps each once when a report is sent again.
 */
import type { AgentPolicyDecision, AgentPolicyGate, AgentPolicyRules } from '../../core/agent-policy-map.js';
import { reportedSingly } from '../../core/agent-policy-map.js';
import type { Clock } from '../../core/clock.js';
import type { IterationReport } from '../../core/ports/store.js';
import { DEFAULT_TOOL_POLICY, type ToolTier } from '../../core/tool-policy.js';

/** Where a task's reports go (its attempt's ProgressOutbox). */
export interface PolicyReportSink {
  iteration(report: IterationReport): void;
}

export const POLICY_REPORT_TYPE = 'policy';
export const POLICY_SUMMARY_REPORT_TYPE = 'policy_summary';

const MAX_REASON_CHARS = 2000;

interface Attached {
  readonly sink: PolicyReportSink;
  pn: number;
  /** iteration → `subject\u0000agent` → tier → allowed count */
  readonly counts: Map<number, Map<string, Partial<Record<ToolTier, number>>>>;
}

export interface PolicyDecisionLogOptions {
  readonly clock: Clock;
  /** The task's policy and the fleet lockdown as the node knows them now. Default: DEFAULT_TOOL_POLICY, no lockdown. */
  readonly rules?: (taskId: string) => AgentPolicyRules;
}

export class PolicyDecisionLog implements AgentPolicyGate {
  private readonly tasks = new Map<string, Attached>();

  constructor(private readonly opts: PolicyDecisionLogOptions) {}

  /** From now on `taskId`'s decisions go to `sink` (an attempt starts). */
  attach(taskId: string, sink: PolicyReportSink): void {
    this.detach(taskId);
    this.tasks.set(taskId, { sink, pn: 0, counts: new Map() });
  }

  /** Sends the remaining summaries of `taskId` and forgets it (the attempt ends). */
  detach(taskId: string): void {
    const t = this.tasks.get(taskId);
    if (t === undefined) return;
    for (const iteration of [...t.counts.keys()]) this.endIteration(taskId, iteration);
    this.tasks.delete(taskId);
  }

  /** Sends the summary of the allowed T0/T1 decisions of one iteration. */
  endIteration(taskId: string, iteration: number): void {
    const t = this.tasks.get(taskId);
    const byAgent = t?.counts.get(iteration);
    if (t === undefined || byAgent === undefined) return;
    t.counts.delete(iteration);
    for (const [key, counts] of byAgent) {
      const [subject, agent] = key.split('\u0000') as [string, string];
      const count = Object.values(counts).reduce((a, b) => a + b, 0);
      this.send(t, iteration, { type: POLICY_SUMMARY_REPORT_TYPE, subject, agent, allowed: true, count, counts: { ...counts } });
    }
  }

  rulesFor(taskId: string): AgentPolicyRules {
    return this.opts.rules?.(taskId) ?? { policy: DEFAULT_TOOL_POLICY, lockdown: false };
  }

  record(taskId: string, iteration: number, d: AgentPolicyDecision): void {
    const t = this.tasks.get(taskId);
    if (t === undefined) return;
    if (reportedSingly(d)) {
      this.send(t, iteration, { type: POLICY_REPORT_TYPE, subject: d.subject, agent: d.agent, tool: d.tool, tier: d.tier, allowed: d.allowed, reason: d.reason.slice(0, MAX_REASON_CHARS) });
      return;
    }
    let byAgent = t.counts.get(iteration);
    if (byAgent === undefined) {
      byAgent = new Map<string, Partial<Record<ToolTier, number>>>();
      t.counts.set(iteration, byAgent);
    }
    const key = `${d.subject}\u0000${d.agent}`;
    const counts = byAgent.get(key) ?? {};
    counts[d.tier] = (counts[d.tier] ?? 0) + 1;
    byAgent.set(key, counts);
  }

  private send(t: Attached, iteration: number, data: Record<string, unknown>): void {
    t.pn += 1;
    t.sink.iteration({ iteration, kind: 'agent', at: this.opts.clock.nowMs(), data: { ...data, pn: t.pn } });
  }
}
