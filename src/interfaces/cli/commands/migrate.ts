/** `cortical migrate`: copy an embedded fleet's SQLite database into an empty PostgreSQL database. */
import type { Command } from 'commander';
import { DEFAULT_COPY_BATCH_ROWS, type StoreCopier, type StoreCopyReport, type TableCopyProgress } from '../../../core/ports/store-copy.js';
import { positiveInt } from '../arg-parsers.js';
import { CliError, CliUsageError } from '../cli-errors.js';
import type { CommandContext } from '../command-context.js';
import { err, formatTable, out, printJson } from '../output.js';
import { resolvePath } from '../settings.js';

interface MigrateFlags {
  from: string;
  to: string;
  dryRun?: boolean;
  json?: boolean;
  batch?: number;
}

export const MAX_COPY_BATCH_ROWS = 10_000;

/** `copier` is null when this build cannot copy stores (the command then says so). */
export function registerMigrateCommand(program: Command, ctx: CommandContext, copier: StoreCopier | null): void {
  program
    .command('migrate')
    .description('copy an embedded fleet (SQLite) into an empty PostgreSQL database for the cluster preset; stop the embedded HQ first')
    .requiredOption('--from <sqlite:PATH>', 'the embedded HQ database, e.g. sqlite:~/.cortical/cortical.db')
    .requiredOption('--to <postgres://…>', 'the target PostgreSQL database (must hold no data; its tables are created)')
    .option('--dry-run', 'check both sides and count the rows; write nothing')
    .option('--batch <n>', `rows per batch (default ${DEFAULT_COPY_BATCH_ROWS})`, positiveInt(MAX_COPY_BATCH_ROWS))
    .option('--json', 'print the summary as JSON (progress still goes to stderr)')
    .action(async (f: MigrateFlags) => {
      if (copier === null) throw new CliError('this build of cortical cannot migrate stores');
      const fromSqlitePath = sqlitePath(ctx, f.from);
      const toPostgresUrl = postgresUrl(f.to);
      const report = await copier.copy({
        fromSqlitePath,
        toPostgresUrl,
        dryRun: f.dryRun === true,
        batchRows: f.batch ?? DEFAULT_COPY_BATCH_ROWS,
        onProgress: progressPrinter(ctx),
      });
      if (f.json) printJson(ctx.io, report);
      else printSummary(ctx, report);
    });
}

/** `sqlite:PATH` (also `sqlite://PATH`); a relative path or `~/` is resolved against the shell's. */
function sqlitePath(ctx: CommandContext, from: string): string {
  const m = /^sqlite:(?:\/\/)?(.+)$/.exec(from.trim());
  if (m === null || m[1] === undefined || m[1].trim() === '') {
    throw new CliUsageError(`--from must be sqlite:PATH (the embedded HQ's database, e.g. sqlite:~/.cortical/cortical.db), got ${JSON.stringify(from.slice(0, 80))}`);
  }
  return resolvePath(ctx.io, m[1]);
}

function postgresUrl(to: string): string {
  let protocol: string;
  try {
    protocol = new URL(to.trim()).protocol;
  } catch {
    throw new CliUsageError('--to must be a PostgreSQL URL like postgres://user@host:5432/database');
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new CliUsageError(`--to must be a postgres:// or postgresql:// URL, got ${protocol}//…`);
  }
  return to.trim();
}

const PROGRESS_EVERY_MS = 2_000;

/** A line per table when it is done, and one at most every 2 s while a big table is copied (stderr). */
function progressPrinter(ctx: CommandContext): (p: TableCopyProgress) => void {
  let last = Date.now();
  return (p) => {
    const now = Date.now();
    if (!p.done && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    err(ctx.io, `${p.table}: ${p.copied}/${p.total} rows${p.done ? ' copied' : ' …'}`);
  };
}

function printSummary(ctx: CommandContext, r: StoreCopyReport): void {
  const rows = r.tables.map((t) => [t.table, String(t.rows), r.dryRun ? '-' : String(t.copied)]);
  out(ctx.io, formatTable(['TABLE', 'ROWS', 'COPIED'], rows));
  if (r.dryRun) {
    out(ctx.io, `dry run: ${r.totalRows} rows in ${r.tables.length} tables of ${r.from} would be copied to ${r.to}; nothing was written`);
    return;
  }
  out(ctx.io, `copied ${r.copiedRows} rows in ${r.tables.length} tables from ${r.from} to ${r.to} in ${(r.durationMs / 1000).toFixed(1)} s; events continue after seq ${r.lastEventSeq}`);
  out(ctx.io, `next: start the HQ replicas on it (CORTICAL_PRESET=cluster, CORTICAL_STORE=<that URL>; see docs/scale-out.md) and keep ${r.from} as a backup`);
}
