/**
 * The `cortical` command line. `src/main` builds a `CliIo` from the process and supplies the
 * server runners; `runCli` returns the exit code and never exits the process itself.
 */
import { Command, CommanderError } from 'commander';
import { ApiError, describeApiError } from './api-client.js';
import { CliError, CliUsageError } from './cli-errors.js';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { CommandContext } from './command-context.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerBudgetCommands } from './commands/budgets.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerTripcodeCommands } from './commands/tripcode.js';
import { registerPipelineCommands } from './commands/pipeline.js';
import { registerKillSwitchCommands } from './commands/killswitch.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerNodesCommands } from './commands/nodes.js';
import { registerNodesGcCommand } from './commands/nodes-gc.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerRunCommand } from './commands/run.js';
import { registerServerCommands } from './commands/servers.js';
import { registerStatusCommand } from './commands/status.js';
import { registerTasksCommands } from './commands/tasks.js';
import { registerTokenCommands } from './commands/token.js';
import { err } from './output.js';
import type { ServerRunners } from './server-runners.js';

const EPILOG = `
Client settings (per setting, first found wins):
  --hq URL / --token TOKEN  >  $CORTICAL_HQ / $CORTICAL_TOKEN  >  <data-dir>/context.json from \`cortical up\`
  (data dir: $CORTICAL_HOME or ~/.cortical)

Exit codes: 0 ok; 1 error, or a waited-for task did not succeed; 2 usage error; 3 request refused by the planner's policy (plan); 130 interrupted.`;

/** Builds the command tree; actions record their exit code in `ctx`. */
function build(io: CliIo, runners: ServerRunners, ctx: CommandContext): Command {
  const program = new Command('cortical');
  program
    .description('Cortical: a control plane for fleets of AI coding agents')
    .option('--hq <url>', 'HQ base URL (default: $CORTICAL_HQ, then the context of `cortical up`)')
    .option('--token <token>', 'API token (default: $CORTICAL_TOKEN, then the context of `cortical up`)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EPILOG);
  program.version(io.version ?? 'unknown', '-V, --version', 'print the version');

  registerServerCommands(program, ctx, runners);
  registerRunCommand(program, ctx);
  registerPlanCommand(program, ctx);
  registerTasksCommands(program, ctx);
  registerNodesCommands(program, ctx);
  registerNodesGcCommand(program, ctx, runners);
  registerKillSwitchCommands(program, ctx);
  registerBudgetCommands(program, ctx);
  registerStatusCommand(program, ctx);
  registerTokenCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerPolicyCommands(program, ctx);
  registerTripcodeCommands(program, ctx);
  registerPipelineCommands(program, ctx);
  registerMigrateCommand(program, ctx, runners.storeCopier ?? null);
  return program;
}

/** The program, for main or for tests that want to inspect it. Exit codes go through `runCli`. */
export function buildProgram(io: CliIo, runners: ServerRunners): Command {
  return build(io, runners, new CommandContext(io));
}

/** Runs the CLI on `io.argv`; resolves to the process exit code. */
export async function runCli(io: CliIo, runners: ServerRunners): Promise<number> {
  const ctx = new CommandContext(io);
  const program = build(io, runners, ctx);
  try {
    await program.parseAsync([...io.argv], { from: 'user' });
    return ctx.code;
  } catch (e) {
    return reportError(io, e);
  }
}

function reportError(io: CliIo, e: unknown): number {
  if (e instanceof CommanderError) {
    // commander has already printed its message (help, version, or the usage error).
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT_OK;
    if (e.code === 'commander.help') return EXIT_USAGE; // help shown because a subcommand was missing
    err(io, "(see 'cortical --help' or 'cortical COMMAND --help')");
    return EXIT_USAGE;
  }
  if (e instanceof CliUsageError) {
    err(io, `error: ${e.message}`);
    return EXIT_USAGE;
  }
  if (e instanceof ApiError) {
    err(io, `error: ${describeApiError(e)}`);
    return EXIT_FAILURE;
  }
  if (e instanceof CliError) {
    err(io, `error: ${e.message}`);
    return EXIT_FAILURE;
  }
  if (io.signal?.aborted) {
    err(io, 'interrupted');
    return EXIT_INTERRUPTED;
  }
  const debug = io.env['CORTICAL_DEBUG'] !== undefined && io.env['CORTICAL_DEBUG'] !== '';
  err(io, `error: ${e instanceof Error ? ((debug ? e.stack : undefined) ?? e.message) : String(e)}`);
  return EXIT_FAILURE;
}
