/** What every command's action gets: the injected I/O, a client factory and the exit code. */
import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import type { CliIo } from './cli-io.js';
import { loadClientSettings } from './settings.js';
import type { ClientSettings } from './settings.js';

export interface GlobalOptions {
  readonly hq?: string;
  readonly token?: string;
}

export class CommandContext {
  private exitCode = 0;

  constructor(readonly io: CliIo) {}

  /** Settings from `--hq`/`--token`, the environment or the context file. */
  settings(cmd: Command): Promise<ClientSettings> {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    return loadClientSettings(this.io, { hq: g.hq, token: g.token });
  }

  async client(cmd: Command): Promise<ApiClient> {
    const s = await this.settings(cmd);
    return new ApiClient({ baseUrl: s.hq, token: s.token, fetch: this.io.fetch, signal: this.io.signal });
  }

  setExitCode(code: number): void {
    this.exitCode = code;
  }

  get code(): number {
    return this.exitCode;
  }
}
