/** `cortical up`, `cortical hq`, `cortical node`: validate options, then hand over to a runner. */
import { Option } from 'commander';
import type { RuntimeChoice } from '../server-runners.js';
import type { Command } from 'commander';
import { capabilityList, intInRange, positiveNumber, tcpPort } from '../arg-parsers.js';
import { CliUsageError } from '../cli-errors.js';
import type { CommandContext, GlobalOptions } from '../command-context.js';
import { out } from '../output.js';
import { DEFAULT_DOCKER_IMAGE, DEFAULT_HOST, DEFAULT_PORT } from '../server-runners.js';
import type { HqReadyInfo, NodeReadyInfo, ServerRunners, UpReadyInfo } from '../server-runners.js';
import { normaliseHqUrl, resolveDataDir, resolvePath } from '../settings.js';

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function nodeName(value: string): string {
  if (!NODE_NAME.test(value)) {
    throw new CliUsageError(`invalid --name '${value}': letters, digits, . _ - (max 63, starting with a letter or digit)`);
  }
  return value;
}

interface ListenFlags {
  port: number;
  host: string;
  dataDir?: string;
}

function addListenOptions(cmd: Command): Command {
  return cmd
    .option('--port <port>', 'TCP port for the HQ API (0 = any free port)', tcpPort, DEFAULT_PORT)
    .option('--host <host>', 'interface to listen on (0.0.0.0 to accept other machines)', DEFAULT_HOST)
    .option('--data-dir <dir>', 'data directory (default: $CORTICAL_HOME or ~/.cortical)');
}

function addNodeOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'node name (default: the host name)')
    .option('--capabilities <list>', 'comma-separated capabilities the node advertises', capabilityList)
    .option('--slots <n>', 'tasks the node runs at once (1-1024)', intInRange(1, 1024, 'a whole number'))
    .addOption(
      new Option('--runtime <name>', 'sleeve runtime: auto (bubblewrap when it works here, else process), bubblewrap, docker, process (unsandboxed)')
        .choices(['auto', 'bubblewrap', 'docker', 'process'])
        .default('auto'),
    )
    .option('--warm-pool <n>', 'warm bubblewrap sleeves kept per profile (0 = every sleeve starts cold)', intInRange(0, 64, 'a whole number'), 2)
    .option('--docker-image <image>', 'image of docker sleeves (with --runtime docker)', DEFAULT_DOCKER_IMAGE)
    .option('--gc-keep-days <n>', "remove finished workspaces idle this many days, or 'off' (default 7)", keepDaysOrOff, 7)
    .option('--gc-max-gb <n>', 'keep finished workspaces within this many GiB (default: no quota)', positiveNumber);
}

function keepDaysOrOff(value: string): number | 'off' {
  if (value.trim().toLowerCase() === 'off') return 'off';
  return positiveNumber(value);
}

interface GcFlags {
  gcKeepDays: number | 'off';
  gcMaxGb?: number;
}

function gcSettings(o: GcFlags): { gcKeepDays: number | null; gcMaxGb: number | null } {
  return { gcKeepDays: o.gcKeepDays === 'off' ? null : o.gcKeepDays, gcMaxGb: o.gcMaxGb ?? null };
}

export function registerServerCommands(program: Command, ctx: CommandContext, runners: ServerRunners): void {
  const { io } = ctx;

  const up = program
    .command('up')
    .description('start HQ and a local node in one process, and point this machine\'s CLI at it');
  addNodeOptions(addListenOptions(up)).action(
    async (o: ListenFlags & GcFlags & { name?: string; capabilities?: string[]; slots?: number; runtime: RuntimeChoice; dockerImage: string; warmPool: number }) => {
      const code = await runners.up({
        runtime: o.runtime,
        dockerImage: o.dockerImage,
        warmPool: o.warmPool,
        ...gcSettings(o),
        host: o.host,
        port: o.port,
        dataDir: resolveDataDir(io, o.dataDir),
        nodeName: o.name === undefined ? null : nodeName(o.name),
        capabilities: o.capabilities ?? null,
        slots: o.slots ?? null,
        onReady: (info: UpReadyInfo) => {
          out(io, `Cortical is up: HQ at ${info.url} with local node ${info.nodeName}`);
          if (info.createdAdminToken) out(io, `  new admin token (shown once): ${info.createdAdminToken}`);
          out(io, `  admin token: ${info.tokenFile}`);
          if (info.contextFile !== null) out(io, `  context:     ${info.contextFile} (CLI commands on this machine use it)`);
          out(io, `  try:         cortical run --wait -- echo hello`);
          out(io, `  stop:        Ctrl-C`);
        },
      });
      ctx.setExitCode(code ?? 0);
    },
  );

  const hq = program
    .command('hq')
    .description('start HQ only (nodes join it with `cortical node`)')
    .addOption(new Option('--preset <name>', 'single (SQLite + in-process bus, the default) or cluster (PostgreSQL + NATS, several replicas); or $CORTICAL_PRESET').choices(['single', 'cluster']))
    .option('--store <url>', 'sqlite:PATH or postgres://USER:PASSWORD@HOST:5432/DB (or $CORTICAL_STORE)')
    .option('--bus <urls>', 'memory or nats://HOST:4222[,HOST:4222] (or $CORTICAL_BUS)')
    .option('--config <file>', 'JSON config file with preset, store, bus, busPrefix, busStream (default: config.json in the data directory)');
  addListenOptions(hq).action(async (o: ListenFlags & { preset?: string; store?: string; bus?: string; config?: string }) => {
    const code = await runners.hq({
      host: o.host,
      port: o.port,
      dataDir: resolveDataDir(io, o.dataDir),
      preset: o.preset,
      store: o.store,
      bus: o.bus,
      configFile: o.config === undefined ? undefined : resolvePath(io, o.config),
      onReady: (info: HqReadyInfo) => {
        out(io, `Cortical HQ listening on ${info.url}`);
        if (info.backend !== undefined) out(io, `  backend:     ${info.backend}`);
        if (info.createdAdminToken) out(io, `  new admin token (shown once): ${info.createdAdminToken}`);
        if (info.tokenFile !== null) out(io, `  admin token: ${info.tokenFile}`);
        out(io, '  add a node:  cortical token create --role node   (prints the command to run on it)');
      },
    });
    ctx.setExitCode(code ?? 0);
  });

  const node = program
    .command('node')
    .description('join an HQ as a node and run the tasks it assigns')
    .option('--join-token <token>', 'join token from `cortical token create --role node` (or $CORTICAL_JOIN_TOKEN); not needed once the node has joined')
    .option('--work-dir <dir>', 'directory for task workspaces (default: under the data directory)')
    .option('--data-dir <dir>', 'node state directory (default: $CORTICAL_HOME or ~/.cortical)')
    .addHelpText('after', '\nThe HQ URL comes from the global option --hq URL (or $CORTICAL_HQ); with several HQ replicas give them all,\ncomma-separated (--hq http://hq1:7470,http://hq2:7470): the node fails over between them.');
  addNodeOptions(node).action(
    async (
      o: GcFlags & { joinToken?: string; workDir?: string; dataDir?: string; name?: string; capabilities?: string[]; slots?: number; runtime: RuntimeChoice; dockerImage: string; warmPool: number },
      cmd: Command,
    ) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const hqRaw = g.hq ?? io.env['CORTICAL_HQ'];
      if (hqRaw === undefined || hqRaw === '') {
        throw new CliUsageError('cortical node needs --hq URL (or $CORTICAL_HQ): the address of HQ');
      }
      const hqUrls = [...new Set(hqRaw.split(',').map((u) => u.trim()).filter((u) => u !== '').map(normaliseHqUrl))];
      if (hqUrls.length === 0) throw new CliUsageError('cortical node needs --hq URL (or $CORTICAL_HQ): the address of HQ');
      // Optional once the node has joined: it then re-joins with the credential in its work dir.
      const joinToken = (o.joinToken ?? io.env['CORTICAL_JOIN_TOKEN'] ?? '').trim();
      const code = await runners.node({
        runtime: o.runtime,
        dockerImage: o.dockerImage,
        warmPool: o.warmPool,
        ...gcSettings(o),
        hq: hqUrls[0]!,
        hqUrls,
        joinToken: joinToken === '' ? null : joinToken,
        nodeName: o.name === undefined ? null : nodeName(o.name),
        capabilities: o.capabilities ?? null,
        slots: o.slots ?? null,
        workDir: o.workDir === undefined ? null : resolvePath(io, o.workDir),
        dataDir: resolveDataDir(io, o.dataDir),
        onReady: (info: NodeReadyInfo) => {
          out(io, `node ${info.name} (${info.nodeId}) joined HQ at ${info.hq}`);
        },
      });
      ctx.setExitCode(code ?? 0);
    },
  );
}
