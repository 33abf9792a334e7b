/** `cortical token create`: API tokens for people and scripts, join tokens for nodes. */
import { Option } from 'commander';
import type { Command } from 'commander';
import { ROLES } from '../../../core/auth.js';
import type { Role } from '../../../core/auth.js';
import { durationMs } from '../arg-parsers.js';
import type { CommandContext } from '../command-context.js';
import { formatDuration } from '../duration.js';
import { err, out, printJson } from '../output.js';

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@=,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

export function registerTokenCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const token = program.command('token').description('create API tokens and node join tokens');

  token
    .command('create')
    .description('create a token (shown once); --role node makes a join token for a new node')
    .addOption(new Option('--role <role>', 'admin, operator, viewer, or node').choices(ROLES).makeOptionMandatory())
    .option('--ttl <duration>', 'lifetime, e.g. 24h, 30d (default: join tokens 24h, API tokens no expiry)', durationMs)
    .option('--single-use', 'join tokens: valid for one join only')
    .option('--label <text>', 'a note to recognise the token by')
    .option('--json', 'print JSON')
    .action(
      async (o: { role: Role; ttl?: number; singleUse?: boolean; label?: string; json?: boolean }, cmd: Command) => {
        const client = await ctx.client(cmd);
        const created = await client.createToken({
          role: o.role,
          ...(o.ttl !== undefined && { ttlMs: o.ttl }),
          label: o.label ?? null,
          singleUse: o.singleUse === true,
        });
        const joinCommand =
          created.kind === 'join'
            ? `cortical node --hq ${shellQuote(client.baseUrl)} --join-token ${shellQuote(created.token)}`
            : null;
        if (o.json) {
          printJson(io, { ...created, hq: client.baseUrl, ...(joinCommand !== null && { joinCommand }) });
          return;
        }
        out(io, created.token);
        const expiry =
          created.expiresAt === null ? 'never expires' : `expires ${new Date(created.expiresAt).toISOString()}`;
        const ttlText = o.ttl !== undefined ? ` (ttl ${formatDuration(o.ttl)})` : '';
        err(io, `${created.kind} token ${created.id}, role ${created.role}, ${expiry}${ttlText}${created.singleUse ? ', single use' : ''}; it is shown only once`);
        if (joinCommand !== null) {
          out(io, '');
          out(io, 'On the new node run:');
          out(io, `  ${joinCommand}`);
          if (isLoopback(client.baseUrl)) {
            err(io, `note: ${client.baseUrl} is a loopback address; other machines need an address of this host they can reach (start HQ with --host 0.0.0.0)`);
          }
        }
      },
    );
}
