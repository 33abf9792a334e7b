/** `cortical audit verify`: check HQ's tamper-evident audit log. */
import type { Command } from 'commander';
import { z } from 'zod';
import { EXIT_FAILURE } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { out, printJson } from '../output.js';

export const AUDIT_VERIFY_PATH = '/api/v1/audit/verify';
export const AUDIT_PUBLIC_KEY_PATH = '/api/v1/audit/public-key';

const VerifyReport = z.looseObject({
  ok: z.boolean(),
  links: z.number(),
  headSeq: z.number(),
  problems: z.array(z.looseObject({ seq: z.number(), kind: z.string(), detail: z.string() })),
  problemCount: z.number().optional(),
  checkedEvents: z.number(),
  unsealed: z.number().optional(),
});
export type AuditVerifyReportDto = z.output<typeof VerifyReport>;

const PublicKey = z.looseObject({ algorithm: z.string(), publicKeyPem: z.string(), fingerprint: z.string() });

/** The report as lines for a person. */
export function describeAuditReport(r: AuditVerifyReportDto): string[] {
  const pending = r.unsealed !== undefined && r.unsealed > 0 ? ` (${r.unsealed} newer ${r.unsealed === 1 ? 'entry' : 'entries'} not sealed yet)` : '';
  if (r.ok) return [`audit log intact: ${r.links} ${r.links === 1 ? 'entry' : 'entries'}, head #${r.headSeq}${pending}`];
  const total = r.problemCount ?? r.problems.length;
  const lines = [`audit log TAMPERED: ${total} ${total === 1 ? 'problem' : 'problems'} in ${r.links} entries, head #${r.headSeq}`];
  for (const p of r.problems) lines.push(`  #${p.seq} ${p.kind}: ${p.detail}`);
  if (total > r.problems.length) lines.push(`  … and ${total - r.problems.length} more`);
  return lines;
}

export function registerAuditCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const audit = program.command('audit').description("HQ's audit log: hash-chained, signed entries");

  audit
    .command('verify')
    .description('check that no audit entry was edited, removed or reordered (admin); exit code 1 when it was')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const report = await (await ctx.client(cmd)).request('GET', AUDIT_VERIFY_PATH, { schema: VerifyReport });
      if (o.json) printJson(io, report);
      else for (const line of describeAuditReport(report)) out(io, line);
      if (!report.ok) ctx.setExitCode(EXIT_FAILURE);
    });

  audit
    .command('public-key')
    .description("print HQ's audit public key (PEM), to check an exported chain elsewhere")
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const key = await (await ctx.client(cmd)).request('GET', AUDIT_PUBLIC_KEY_PATH, { schema: PublicKey });
      if (o.json) printJson(io, key);
      else io.stdout.write(key.publicKeyPem.endsWith('\n') ? key.publicKeyPem : `${key.publicKeyPem}\n`);
    });
}
