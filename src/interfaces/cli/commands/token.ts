/** `cortical token create|list|revoke`: API tokens for people and scripts, join tokens for nodes. */
import { Option } from 'commander';
import type { Command } from 'commander';
import { ROLES } from '../../../core/auth.js';
import type { Role } from '../../../core/auth.js';
import { durationMs } from '../arg-parsers.js';
import type { TokenDto } from '../../../contract/node-schemas.js';
import { nowMs } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { formatAgo, formatDuration } from '../duration.js';
import { dash, err, formatTable, out, printJson } from '../output.js';

const MAX_PAGES = 100;

function tokenTable(tokens: readonly TokenDto[], now: number): string {
  return formatTable(
    ['ID', 'KIND', 'ROLE', 'STATE', 'CREATED', 'EXPIRES', 'LABEL'],
    tokens.map((t) => [
      t.id,
      t.kind,
      t.role,
      t.state,
      formatAgo(t.createdAt, now),
      t.expiresAt === null ? 'never' : new Date(t.expiresAt).toISOString(),
      dash(t.label ?? (t.nodeId !== null ? `node ${t.nodeId}` : null)),
    ]),
  );
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@=,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

export function registerTokenCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const token = program.command('token').description('create, list and revoke API tokens and node join tokens');

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

  token
    .command('list')
    .alias('ls')
    .description('list tokens, newest first (metadata only; secrets are never shown again)')
    .option('--kind <kinds>', 'comma-separated: api, join, node_access, node_refresh', 'api,join')
    .option('--all', 'also revoked, expired and used tokens')
    .option('--json', 'print JSON (an array)')
    .action(async (o: { kind: string; all?: boolean; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const all: TokenDto[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < MAX_PAGES; i++) {
        const page = await client.listTokens({ kind: o.kind, all: o.all === true ? 'true' : 'false', cursor, limit: 500 });
        all.push(...page.items);
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      if (o.json) printJson(io, all);
      else out(io, all.length === 0 ? `no ${o.all === true ? '' : 'active '}tokens of kind ${o.kind}` : tokenTable(all, nowMs(io)));
    });

  token
    .command('revoke')
    .description('revoke an API or join token at once (the last active admin token is kept)')
    .argument('<id>', 'the token id (tok_…, the part before the dot)')
    .option('--json', 'print the revoked token as JSON')
    .action(async (idArg: string, o: { json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      // accept the whole token too: only its id part is sent
      const id = idArg.includes('.') ? idArg.slice(0, idArg.indexOf('.')) : idArg;
      const revoked = await client.revokeToken(id);
      if (o.json) printJson(io, revoked);
      else out(io, `revoked ${revoked.kind} token ${revoked.id} (role ${revoked.role}${revoked.label ? `, ${revoked.label}` : ''}); it no longer authenticates`);
    });
}
