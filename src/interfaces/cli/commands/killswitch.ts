/** `cortical killswitch on|off|status`: the fleet-wide stop. */
import type { Command } from 'commander';
import type { KillSwitchDto } from '../api-client.js';
import { nowMs } from '../cli-io.js';
import type { CliIo } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { formatAgo } from '../duration.js';
import { out, printJson } from '../output.js';

export function describeKillSwitch(k: KillSwitchDto, now: number): string {
  const parts = [`kill switch ${k.on ? 'ON' : 'off'}`];
  if (k.on && k.reason) parts.push(`reason: ${k.reason}`);
  if (k.changedAt !== null) parts.push(`changed ${formatAgo(k.changedAt, now)}${k.changedBy ? ` by ${k.changedBy}` : ''}`);
  return parts.join('; ');
}

function print(io: CliIo, k: KillSwitchDto, json: boolean | undefined): void {
  if (json) printJson(io, k);
  else out(io, describeKillSwitch(k, nowMs(io)));
}

export function registerKillSwitchCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const ks = program
    .command('killswitch')
    .description('fleet-wide kill switch: when on, nodes stop running tasks and nothing new starts');

  ks.command('on')
    .description('turn the kill switch on')
    .option('--reason <text>', 'why (shown to everyone)')
    .option('--json', 'print JSON')
    .action(async (o: { reason?: string; json?: boolean }, cmd: Command) => {
      const k = await (await ctx.client(cmd)).setKillSwitch({ on: true, reason: o.reason ?? null });
      print(io, k, o.json);
    });

  ks.command('off')
    .description('turn the kill switch off')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const k = await (await ctx.client(cmd)).setKillSwitch({ on: false, reason: null });
      print(io, k, o.json);
    });

  ks.command('status')
    .description('show the kill switch')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      print(io, await (await ctx.client(cmd)).getKillSwitch(), o.json);
    });
}
