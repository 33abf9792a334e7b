/**
 * The built-in agent under the node's policy gate, end to end: the real program in a real
 * bubblewrap sleeve, a scripted model server, the node's PolicyDecisionLog as the gate. The task's
 * rules come from the gate (lockdown included) and every decision reaches it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentPolicyDecision, AgentPolicyGate, AgentPolicyRules } from '../../../core/agent-policy-map.js';
import { FakeClock } from '../../../core/clock.js';
import type { AgentEvent, AgentRun } from '../../../core/ports/agent-driver.js';
import type { IterationReport } from '../../../core/ports/store.js';
import { DEFAULT_TOOL_POLICY } from '../../../core/tool-policy.js';
import { PolicyDecisionLog } from '../../../services/node/policy-decision-log.js';
import { BubblewrapRuntime } from '../../runtime/bubblewrap/bubblewrap-runtime.js';
import { startAgentSleeveKit, SKIP_NO_BWRAP, type AgentSleeveKit } from '../../../../test/kit/agents/agent-sleeve-kit.js';
import { builtinKit } from '../../../../test/kit/agents/builtin-script.js';
import { startModelServer, type ModelServer } from '../../../../test/kit/model-server/model-server.js';
import type { NormalizedRequest, ScriptedReply, ScriptedToolCall } from '../../../../test/kit/model-server/model-server-types.js';
import { BuiltinDriver } from './builtin-driver.js';

const KEY = 'sk-builtin-GATE-5f1e90aa27';
const T = 90_000;
const TASK = 'task_gate';
const bwrap = await BubblewrapRuntime.available();

/** The node's PolicyDecisionLog, attached to a sink, with every decision and rules request kept for the test. */
class RecordingGate implements AgentPolicyGate {
  readonly decisions: { taskId: string; iteration: number; decision: AgentPolicyDecision }[] = [];
  readonly reports: IterationReport[] = [];
  readonly rulesAsked: string[] = [];
  readonly log: PolicyDecisionLog;

  constructor(rules: AgentPolicyRules) {
    this.log = new PolicyDecisionLog({ clock: new FakeClock(), rules: () => rules });
    this.log.attach(TASK, { iteration: (r) => this.reports.push(r) });
  }
  rulesFor(taskId: string): AgentPolicyRules {
    this.rulesAsked.push(taskId);
    return this.log.rulesFor(taskId);
  }
  record(taskId: string, iteration: number, decision: AgentPolicyDecision): void {
    this.decisions.push({ taskId, iteration, decision });
    this.log.record(taskId, iteration, decision);
  }
}

async function drain(run: AgentRun): Promise<{ events: AgentEvent[]; exitCode: number | null }> {
  const events: AgentEvent[] = [];
  const timer = setTimeout(() => void run.stop(1000), T - 10_000);
  for await (const e of run.events) events.push(e);
  clearTimeout(timer);
  return { events, exitCode: (await run.exited).exitCode };
}

function callsThenText(calls: readonly ScriptedToolCall[]): (req: NormalizedRequest) => ScriptedReply {
  return (req) => {
    const next = calls[req.toolResults.length];
    return next !== undefined ? { toolCalls: [next], usage: { input: 100, output: 10 } } : { text: 'finished', usage: { input: 120, output: 5 } };
  };
}

function toolResults(events: readonly AgentEvent[]): Record<string, Extract<AgentEvent, { kind: 'tool_result' }>> {
  return Object.fromEntries(events.flatMap((e) => (e.kind === 'tool_result' ? [[e.id, e]] : [])));
}

describe.skipIf(!bwrap)(`builtin driver with the node's policy gate${bwrap ? '' : ` [skipped: ${SKIP_NO_BWRAP}]`}`, () => {
  let sleeves: AgentSleeveKit;
  let server: ModelServer;

  beforeAll(async () => {
    sleeves = startAgentSleeveKit({ sandboxed: true });
    server = await startModelServer({ protocols: builtinKit.protocols, responder: builtinKit.writeFileScript('x.txt', 'x') });
  });
  afterAll(async () => {
    await server?.close();
    await sleeves?.close();
  });

  async function runWith(gate: AgentPolicyGate, calls: readonly ScriptedToolCall[]) {
    server.setResponder(callsThenText(calls));
    const { workspacePath, homePath } = sleeves.makeWorkspace();
    const run = await new BuiltinDriver({ limits: { maxRetries: 0 }, policy: gate }).startIteration({
      taskId: TASK,
      iteration: 3,
      prompt: 'Do the task',
      guidance: [],
      workspacePath,
      homePath,
      env: sleeves.baseEnv(homePath),
      runtime: sleeves.runtime,
      sleeve: sleeves.sleeve([`127.0.0.1:${server.port}`], { writablePaths: [homePath] }),
      model: null,
      endpoints: builtinKit.endpoints(server.url, KEY),
    });
    return { ...(await drain(run)), workspacePath };
  }

  it(
    'a T1 command runs, a T2 one (sudo) is refused; both decisions reach the gate and the T2 one is reported singly',
    async () => {
      const gate = new RecordingGate({ policy: DEFAULT_TOOL_POLICY, lockdown: false });
      const { events, exitCode, workspacePath } = await runWith(gate, [
        { id: 'c1', name: 'run_command', input: { command: 'echo one > t1.txt' } },
        { id: 'c2', name: 'run_command', input: { command: 'sudo true' } },
      ]);
      expect(gate.rulesAsked).toEqual([TASK]);
      const out = toolResults(events);
      expect(out.c1).toMatchObject({ ok: true });
      expect(readFileSync(join(workspacePath, 't1.txt'), 'utf8')).toBe('one\n');
      expect(out.c2).toMatchObject({ ok: false });
      expect(out.c2!.output).toMatch(/^denied by policy: run_command is T2 \(gains privileges\), above the policy's maximum T1/);
      expect(gate.decisions).toEqual([
        { taskId: TASK, iteration: 3, decision: { subject: 'tool_call', agent: 'builtin', tool: 'run_command', tier: 'T1', allowed: true, reason: 'run_command is T1' } },
        {
          taskId: TASK,
          iteration: 3,
          decision: { subject: 'tool_call', agent: 'builtin', tool: 'run_command', tier: 'T2', allowed: false, reason: expect.stringMatching(/above the policy's maximum T1/) },
        },
      ]);
      // The denial went to HQ at once; the allowed T1 call is in the iteration's summary.
      expect(gate.reports.map((r) => r.data)).toEqual([expect.objectContaining({ type: 'policy', agent: 'builtin', tool: 'run_command', tier: 'T2', allowed: false })]);
      gate.log.endIteration(TASK, 3);
      expect(gate.reports.at(-1)).toMatchObject({ iteration: 3, data: { type: 'policy_summary', subject: 'tool_call', agent: 'builtin', count: 1, counts: { T1: 1 } } });
      // Decisions are not AgentEvents; the denial is still logged as before.
      expect(events.filter((e) => e.kind === 'log' && e.text.startsWith('policy denied: run_command (T2'))).toHaveLength(1);
      expect(events.at(-1)).toEqual({ kind: 'done', summary: 'finished' });
      expect(exitCode).toBe(0);
    },
    T,
  );

  it(
    "uses the task's raised policy from the gate, and under lockdown refuses T2 even where an allow pattern would lift it",
    async () => {
      const raised = new RecordingGate({ policy: { ...DEFAULT_TOOL_POLICY, allow: ['sudo *'] }, lockdown: false });
      const open = await runWith(raised, [{ id: 'a1', name: 'run_command', input: { command: 'sudo true' } }]);
      // Allowed by the pattern: the decision says so (the command itself may fail without sudo in the sleeve).
      expect(raised.decisions.map((d) => d.decision)).toEqual([{ subject: 'tool_call', agent: 'builtin', tool: 'run_command', tier: 'T2', allowed: true, reason: 'run_command is T2' }]);
      expect(toolResults(open.events).a1!.output).not.toMatch(/^denied by policy/);

      const locked = new RecordingGate({ policy: { ...DEFAULT_TOOL_POLICY, allow: ['sudo *', '/^touch/'] }, lockdown: true });
      const { events, exitCode, workspacePath } = await runWith(locked, [
        { id: 'l1', name: 'run_command', input: { command: 'sudo true' } },
        { id: 'l2', name: 'run_command', input: { command: 'touch still-t1.txt' } },
      ]);
      const out = toolResults(events);
      expect(out.l1).toEqual({ kind: 'tool_result', id: 'l1', ok: false, output: 'denied by policy: the fleet is locked down: T2 and T3 calls are refused' });
      expect(out.l2).toMatchObject({ ok: true });
      expect(existsSync(join(workspacePath, 'still-t1.txt'))).toBe(true);
      expect(locked.decisions.map((d) => d.decision)).toEqual([
        { subject: 'tool_call', agent: 'builtin', tool: 'run_command', tier: 'T2', allowed: false, reason: 'the fleet is locked down: T2 and T3 calls are refused' },
        { subject: 'tool_call', agent: 'builtin', tool: 'run_command', tier: 'T1', allowed: true, reason: 'run_command is T1' },
      ]);
      expect(exitCode).toBe(0);
      expect(JSON.stringify([events, locked.decisions])).not.toContain(KEY);
    },
    T,
  );
});
