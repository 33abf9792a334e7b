/** The CLI's public surface, for the composition root. */
export { buildProgram, runCli } from './program.js';
export type { CliIo, CliWriter } from './cli-io.js';
export { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './cli-io.js';
export type {
  HqOptions,
  HqReadyInfo,
  NodeOptions,
  NodeReadyInfo,
  ServerRunners,
  UpOptions,
  UpReadyInfo,
} from './server-runners.js';
export { DEFAULT_HOST, DEFAULT_PORT } from './server-runners.js';
export {
  contextFilePath,
  loadClientSettings,
  normaliseHqUrl,
  readContext,
  resolveDataDir,
  writeContext,
} from './settings.js';
export type { CliContext, ClientSettings } from './settings.js';
export { formatDuration, parseDurationMs } from './duration.js';
export { ApiClient, ApiError } from './api-client.js';
