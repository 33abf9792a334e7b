/** `cortical nodes …`: the fleet. */
import type { Command } from 'commander';
import type { NodeDto } from '../../../contract/node-schemas.js';
import { nowMs } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { formatAgo } from '../duration.js';
import { formatFields, formatTable, out, printJson } from '../output.js';

const MAX_PAGES = 100;

function nodeTable(nodes: readonly NodeDto[], now: number): string {
  return formatTable(
    ['ID', 'NAME', 'STATE', 'SLOTS', 'FREE', 'LOAD', 'HEARTBEAT', 'VERSION', 'CAPABILITIES'],
    nodes.map((n) => [
      n.id,
      n.name,
      n.state,
      `${n.activeLeases}/${n.slots}`,
      String(n.freeSlots),
      n.resources.loadAvg1.toFixed(2),
      formatAgo(n.lastHeartbeatAt, now),
      n.version,
      n.capabilities.join(',') || '-',
    ]),
  );
}

function nodeDetails(n: NodeDto, now: number): string {
  const r = n.resources;
  return formatFields([
    ['id', n.id],
    ['name', n.name],
    ['state', `${n.state} (liveness ${n.liveness}, scheduling ${n.scheduling})`],
    ['slots', `${n.activeLeases} busy of ${n.slots}, ${n.freeSlots} free`],
    ['capabilities', n.capabilities.join(', ') || '-'],
    ['resources', `${r.cpuCount} CPUs, load ${r.loadAvg1.toFixed(2)}, memory ${r.memFreeMb}/${r.memTotalMb} MB free`],
    ['version', n.version],
    ['joined', `${new Date(n.joinedAt).toISOString()} (${formatAgo(n.joinedAt, now)})`],
    ['heartbeat', `${new Date(n.lastHeartbeatAt).toISOString()} (${formatAgo(n.lastHeartbeatAt, now)})`],
  ]);
}

const ACTION_TEXT = {
  cordon: 'cordoned: no new tasks are placed on it',
  drain: 'draining: no new tasks; running ones finish',
  uncordon: 'uncordoned: schedulable again',
} as const;

export function registerNodesCommands(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  const nodes = program.command('nodes').description('list and manage the nodes of the fleet');

  nodes
    .command('ls')
    .alias('list')
    .description('list nodes')
    .option('--json', 'print JSON (an array)')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const all: NodeDto[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < MAX_PAGES; i++) {
        const page = await client.listNodes({ cursor, limit: 500 });
        all.push(...page.items);
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      if (o.json) printJson(io, all);
      else out(io, all.length === 0 ? 'no nodes (add one: cortical token create --role node)' : nodeTable(all, nowMs(io)));
    });

  nodes
    .command('show')
    .description('show one node')
    .argument('<id>', 'node id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const n = await (await ctx.client(cmd)).getNode(id);
      if (o.json) printJson(io, n);
      else out(io, nodeDetails(n, nowMs(io)));
    });

  for (const action of ['cordon', 'drain', 'uncordon'] as const) {
    nodes
      .command(action)
      .description(
        action === 'cordon'
          ? 'stop placing new tasks on a node'
          : action === 'drain'
            ? 'stop placing new tasks on a node and let its running tasks finish'
            : 'make a cordoned or drained node schedulable again',
      )
      .argument('<id>', 'node id')
      .option('--json', 'print the node as JSON')
      .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
        const n = await (await ctx.client(cmd)).nodeAction(id, action);
        if (o.json) printJson(io, n);
        else out(io, `node ${n.name} (${n.id}) ${ACTION_TEXT[action]}; state ${n.state}`);
      });
  }
}
