/** `cortical status`: one look at HQ, the kill switch, tasks and nodes. */
import type { Command } from 'commander';
import { TASK_STATES } from '../../../core/task.js';
import { nowMs } from '../cli-io.js';
import type { CommandContext } from '../command-context.js';
import { formatFields, out, printJson } from '../output.js';
import { describeKillSwitch } from './killswitch.js';

/** Today's outcomes and spend (absent when HQ is older and does not report them). */
function todayFields(s: { today?: { date: string; succeeded: number; failed: number; usd: number }; burnRateUsdPerHour?: number }): [string, string][] {
  if (s.today === undefined) return [];
  const t = s.today;
  const burn = s.burnRateUsdPerHour === undefined ? '' : `, burn rate $${s.burnRateUsdPerHour.toFixed(2)}/h`;
  return [['today', `${t.succeeded} succeeded, ${t.failed} failed, $${t.usd.toFixed(2)} spent${burn} (${t.date} UTC)`]];
}

/** Which replica schedules (absent when HQ is older and does not report it). */
function schedulerFields(s: { scheduler?: { replica: string; leader: string | null; leading: boolean; term: number } }): [string, string][] {
  const sc = s.scheduler;
  if (sc === undefined) return [];
  if (sc.leading) return [['scheduler', `this replica (${sc.replica}, term ${sc.term})`]];
  if (sc.leader === null) return [['scheduler', `no replica holds the role right now (term ${sc.term}); one takes it over shortly`]];
  return [['scheduler', `replica ${sc.leader} (term ${sc.term}); this one is ${sc.replica}`]];
}

export function registerStatusCommand(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program
    .command('status')
    .description('HQ version, kill switch, tasks by state, nodes')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const s = await client.status();
      if (o.json) {
        printJson(io, { hq: client.baseUrl, ...s });
        return;
      }
      const known = TASK_STATES.filter((st) => (s.tasks[st] ?? 0) > 0).map((st) => `${st} ${s.tasks[st] ?? 0}`);
      const other = Object.entries(s.tasks)
        .filter(([st, n]) => !(TASK_STATES as readonly string[]).includes(st) && n > 0)
        .map(([st, n]) => `${st} ${n}`);
      const taskText = [...known, ...other].join(', ') || 'none';
      const n = s.nodes;
      out(
        io,
        formatFields([
          ['hq', `${client.baseUrl} (version ${s.version})`],
          ['kill switch', describeKillSwitch(s.killSwitch, nowMs(io)).replace(/^kill switch /, '')],
          ['tasks', taskText],
          ['nodes', `${n.ready} ready, ${n.lost} lost (${n.total} total), ${n.freeSlots} free slot${n.freeSlots === 1 ? '' : 's'}`],
          ...todayFields(s),
          ...schedulerFields(s),
        ]),
      );
    });
}
