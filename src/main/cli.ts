/** Process entry of the `cortical` command: the only place that touches the real process. */
import { homedir } from 'node:os';
import { createPinoLogger } from '../adapters/logger/pino/pino-logger.js';
import { runCli } from '../interfaces/cli/program.js';
import { readEnvConfig, VERSION } from './config.js';
import { createRunners } from './runners.js';
import { createStoreCopier } from './store-copier.js';

async function main(): Promise<number> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    if (signals > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let envConfig;
  try {
    envConfig = readEnvConfig(process.env);
  } catch (e) {
    process.stderr.write(`cortical: ${(e as Error).message}\n`);
    return 2;
  }
  const logger = createPinoLogger({ level: envConfig.CORTICAL_LOG_LEVEL ?? 'warn' });
  const runners = { ...createRunners({ env: process.env, envConfig, logger, signal: controller.signal }), storeCopier: createStoreCopier() };
  return runCli(
    {
      argv: process.argv.slice(2),
      env: process.env,
      stdout: process.stdout,
      stderr: process.stderr,
      cwd: process.cwd(),
      homedir: homedir(),
      fetch: globalThis.fetch,
      readStdin: async () => {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      },
      signal: controller.signal,
      version: VERSION,
    },
    runners,
  );
}

const code = await main();
process.exitCode = code;
// Long-running commands have released their handles when they return; make sure nothing else
// (an idle keep-alive socket) holds the process open.
setTimeout(() => process.exit(code), 2000).unref();
