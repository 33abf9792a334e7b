import { allows, type Principal } from '../../core/auth.js';
import { CorticalError } from '../../core/errors.js';
import type { Plan } from '../../core/plan-steps.js';
import type {
  ApplyResult,
  BridgeBackend,
  PromoteResult,
  RollbackResult,
  SimulateResult,
  SnapshotResult,
  TripcodeResult,
  VerifyResult,
} from '../../core/ports/bridge-backend.js';
import type { PipelineService } from './pipeline-service.js';
import type { TripcodeService } from './tripcode-service.js';

function must(principal: Principal, what: string): void {
  if (!allows(principal.role, 'tasks:write')) throw new CorticalError('FORBIDDEN', `${what} needs an admin or operator token`);
}

const actorOf = (p: Principal): string => `token:${p.tokenId}`;

/**
 * HQ's side of the Bridge API: plans go through the safety pipeline against the configured
 * default target; Snapshot/Rollback capture and restore Blue's version; Tripcode applies a
 * tripcode. Writers need `tasks:write`; tripcodes need an admin.
 */
export class HqBridgeBackend implements BridgeBackend {
  constructor(
    private readonly pipeline: PipelineService | null,
    private readonly tripcodes: TripcodeService,
  ) {}

  async simulate(plan: Plan, principal: Principal): Promise<SimulateResult> {
    must(principal, 'Simulate');
    const report = await this.need().simulate(this.need().requestFor(plan));
    const diffs = report.exec?.diff?.files.map((f) => f.patch) ?? [];
    const lines = [
      `golden ${report.golden}`,
      `plan ${report.planCheck.allowed ? 'allowed' : 'refused'} (max tier ${report.planCheck.maxTier})`,
      ...report.planCheck.problems.map((p) => `problem: ${p}`),
      ...(report.exec?.steps ?? []).map((s) => `step ${s.index} ${s.tool} (${s.tier}): ${s.ok ? 'ok' : `failed: ${s.error ?? `exit ${String(s.exitCode)}`}`}`),
    ];
    if (report.error !== null) lines.push(`error: ${report.error}`);
    return { ok: report.ok, diffs, report: lines.join('\n') };
  }

  async snapshot(_label: string, principal: Principal): Promise<SnapshotResult> {
    must(principal, 'Snapshot');
    return { ok: true, snapshotId: await this.need().snapshotBlue() };
  }

  async apply(plan: Plan, _snapshotId: string | null, principal: Principal): Promise<ApplyResult> {
    must(principal, 'Apply');
    const p = this.need();
    const run = await p.runner.apply(p.requestFor(plan));
    const steps = (run.evidence['simulate'] as { steps?: { index: number; tool: string; ok: boolean; error: string | null }[] } | undefined)?.steps ?? [];
    const logs = [...steps.map((s) => `step ${s.index} ${s.tool}: ${s.ok ? 'ok' : `failed: ${s.error ?? ''}`}`), ...(run.error !== null ? [`aborted: ${run.error}`] : [])];
    return { ok: run.state === 'VERIFY', runId: run.id, logs };
  }

  async verify(runId: string, principal: Principal): Promise<VerifyResult> {
    must(principal, 'Verify');
    const run = await this.need().runner.verify(runId);
    const result = run.evidence['verify'] as { checks?: { name: string; passed: boolean; exitCode: number | null; durationMs: number }[]; service?: { passed: boolean; okProbes: number; probes: number } | null } | undefined;
    const checks = (result?.checks ?? []).map((c) => `${c.name}: ${c.passed ? 'pass' : 'FAIL'} (exit ${String(c.exitCode)}, ${c.durationMs} ms)`);
    if (result?.service) checks.push(`service: ${result.service.passed ? 'pass' : 'FAIL'} (${result.service.okProbes}/${result.service.probes} probes ok)`);
    if (run.error !== null) checks.push(`aborted: ${run.error}`);
    return { ok: run.state === 'PROMOTE', checks };
  }

  async promote(runId: string, principal: Principal): Promise<PromoteResult> {
    must(principal, 'Promote');
    const run = await this.need().runner.promote(runId);
    return { ok: run.state === 'PROMOTED' };
  }

  async rollback(snapshotId: string, principal: Principal): Promise<RollbackResult> {
    must(principal, 'Rollback');
    await this.need().rollbackSnapshot(snapshotId);
    return { ok: true };
  }

  async tripcode(payload: string, principal: Principal): Promise<TripcodeResult> {
    if (principal.role !== 'admin') throw new CorticalError('FORBIDDEN', 'applying a tripcode needs an admin token');
    const out = await this.tripcodes.apply({ payload, actor: actorOf(principal) });
    return out.ok ? { ok: true, code: out.code, detail: out.detail } : { ok: false, code: out.code ?? '', detail: `${out.reason}: ${out.detail}` };
  }

  private need(): PipelineService {
    if (this.pipeline === null) throw new CorticalError('UNAVAILABLE', 'the safety pipeline is not enabled on this HQ (it needs a runtime and a pipeline target)');
    return this.pipeline;
  }
}
