/** `cortical nodes gc`: collect finished workspaces of a node's work directory on this machine. */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { GcReport } from '../../../core/ports/workspace-gc.js';
import { positiveNumber } from '../arg-parsers.js';
import { CliUsageError } from '../cli-errors.js';
import type { CommandContext } from '../command-context.js';
import { formatTable, out, printJson } from '../output.js';
import type { ServerRunners } from '../server-runners.js';
import { resolveDataDir, resolvePath } from '../settings.js';

interface GcFlags {
  workDir?: string;
  dataDir?: string;
  keepDays?: number;
  maxGb?: number;
  dryRun?: boolean;
  deleteBranches?: boolean;
  json?: boolean;
}

export function registerNodesGcCommand(program: Command, ctx: CommandContext, runners: ServerRunners): void {
  const nodes = program.commands.find((c) => c.name() === 'nodes');
  if (nodes === undefined) throw new Error('the nodes command must be registered first');
  nodes
    .command('gc')
    .description("free disk: remove this machine's finished task workspaces that are expired or over quota")
    .option('--work-dir <dir>', 'the node work directory (default: <data-dir>/node)')
    .option('--data-dir <dir>', 'data directory (default: $CORTICAL_HOME or ~/.cortical)')
    .option('--keep-days <n>', 'remove finished workspaces idle this many days (default 7)', positiveNumber)
    .option('--max-gb <n>', 'then remove the oldest finished ones until the rest fit in this many GiB', positiveNumber)
    .option('--dry-run', 'show what would be freed, remove nothing')
    .option('--delete-branches', 'also delete the removed tasks\' cortical/<task-id> branches')
    .option('--json', 'print the report as JSON')
    .action(async (f: GcFlags) => {
      if (f.dataDir !== undefined && f.workDir !== undefined) throw new CliUsageError('give --work-dir or --data-dir, not both');
      const workDir = f.workDir !== undefined ? resolvePath(ctx.io, f.workDir) : join(resolveDataDir(ctx.io, f.dataDir), 'node');
      const report = await runners.gc({
        workDir,
        keepDays: f.keepDays ?? 7,
        maxGb: f.maxGb ?? null,
        dryRun: f.dryRun === true,
        deleteBranches: f.deleteBranches === true,
      });
      if (f.json) printJson(ctx.io, report);
      else printReport(ctx, report);
    });
}

function printReport(ctx: CommandContext, r: GcReport): void {
  const verb = r.dryRun ? 'would remove' : 'removed';
  const rows = r.plan.remove.map((p) => [p.taskId, mb(p.sizeBytes), p.why, r.dryRun ? 'planned' : r.removed.some((x) => x.taskId === p.taskId) ? 'removed' : 'failed']);
  if (rows.length > 0) out(ctx.io, formatTable(['TASK', 'SIZE', 'WHY', 'RESULT'], rows));
  out(
    ctx.io,
    `${r.root}: ${r.scanned} workspaces scanned, ${verb} ${r.plan.remove.length} (${mb(r.freedBytes)}), kept ${r.plan.keep.length}` +
      (r.skipped.length > 0 ? `, skipped ${r.skipped.length}` : '') +
      (r.failed.length > 0 ? `, ${r.failed.length} failed` : ''),
  );
}

function mb(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
