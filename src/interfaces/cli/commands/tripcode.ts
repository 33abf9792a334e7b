/** `cortical tripcode issue CODE | apply PAYLOAD`: signed, single-use recovery codes (admin). */
import type { Command } from 'commander';
import { z } from 'zod';
import { CliUsageError } from '../cli-errors.js';
import { EXIT_FAILURE, nowMs } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { formatDuration } from '../duration.js';
import { err, out, printJson } from '../output.js';

const ISSUE_PATH = '/api/v1/tripcodes';
const APPLY_PATH = '/api/v1/tripcodes/apply';

const IssuedSchema = z.object({ payload: z.string(), code: z.string(), expiresAt: z.number() });
const OutcomeSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), code: z.string(), detail: z.string() }),
  z.object({ ok: z.literal(false), code: z.string().nullable(), reason: z.string(), detail: z.string(), retryAfterMs: z.number().optional() }),
]);
export type TripcodeOutcomeDto = z.infer<typeof OutcomeSchema>;

/** One line for an outcome. */
export function describeTripcodeOutcome(o: TripcodeOutcomeDto): string {
  if (o.ok) return `applied ${o.code}: ${o.detail}`;
  return `rejected${o.code === null ? '' : ` ${o.code}`} (${o.reason}): ${o.detail}`;
}

export function registerTripcodeCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const tc = program
    .command('tripcode')
    .description('signed, single-use, time-boxed recovery codes (admin): issue one, or apply one')
    .addHelpText(
      'after',
      `
Codes: RECOVERY:REVERT_SNAPSHOT::<snapshot id>, RECOVERY:REIMAGE_TO_GOLDEN[::<target>],
       RECOVERY:LOCKDOWN[::LIFT], RECOVERY:DIAGNOSTIC::basic|full
A payload (ts|code|sig) is valid once, for a few minutes after it was issued.`,
    );

  tc.command('issue')
    .description('sign a recovery code; prints the payload to hand to whoever applies it')
    .argument('<code>', 'the recovery code, e.g. RECOVERY:LOCKDOWN')
    .option('--json', 'print JSON')
    .action(async (code: string, o: { json?: boolean }, cmd: Command) => {
      const issued = await (await ctx.client(cmd)).request('POST', ISSUE_PATH, { body: { code }, schema: IssuedSchema });
      if (o.json) {
        printJson(io, issued);
        return;
      }
      out(io, issued.payload);
      const left = issued.expiresAt - nowMs(io);
      err(io, `${issued.code}: single-use, valid until ${new Date(issued.expiresAt).toISOString()}${left > 0 ? ` (${formatDuration(left)} from now)` : ''}`);
    });

  tc.command('apply')
    .description('apply a tripcode payload (`-` reads it from standard input); exit code 1 when rejected')
    .argument('<payload>', 'the payload ts|code|sig, or - for standard input')
    .option('--json', 'print JSON')
    .action(async (payloadArg: string, o: { json?: boolean }, cmd: Command) => {
      let payload = payloadArg;
      if (payloadArg === '-') {
        if (!io.readStdin) throw new CliUsageError('standard input is not available here');
        payload = (await io.readStdin()).trim();
        if (payload === '') throw new CliUsageError('no payload on standard input');
      }
      const outcome = await (await ctx.client(cmd)).request('POST', APPLY_PATH, { body: { payload }, schema: OutcomeSchema });
      if (o.json) printJson(io, outcome);
      else if (outcome.ok) out(io, describeTripcodeOutcome(outcome));
      else err(io, describeTripcodeOutcome(outcome));
      if (!outcome.ok) ctx.setExitCode(EXIT_FAILURE);
    });
}
