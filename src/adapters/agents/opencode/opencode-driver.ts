/**
 * The `opencode` driver: OpenCode (`opencode run --format json`) headless for one iteration,
 * pointed at the node's OpenAI-compatible endpoint through a generated provider `local`.
 *
 * Guidance is `interrupt_resume`: `opencode run` takes no input while it runs, but a session
 * survives SIGTERM and `opencode run --session ID` (or `--continue`, before the first event told
 * the id) goes on with it, the guidance as the new user message and the history kept.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorticalError } from '../../../core/errors.js';
import type { AgentDriver, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { DEFAULT_PRICES, type PriceTable } from '../../../core/pricing.js';
import { resumableRun, type RunPart } from '../resumable-run.js';
import { iterationEnv } from '../sleeve-agent-run.js';
import { OPENCODE_DEFAULT_MODEL, opencodeArgs, opencodeConfig, opencodeEnv, writeOpencodeConfig } from './opencode-config.js';
import { OpencodeStreamParser } from './opencode-stream-parser.js';
import { redactEvent } from '../redact-event.js';

export interface OpencodeDriverOptions {
  /** The executable (default `opencode`, resolved through the sleeve's PATH). */
  readonly bin?: string;
  readonly prices?: PriceTable;
}

export class OpencodeDriver implements AgentDriver {
  readonly name = 'opencode';
  readonly guidance = 'interrupt_resume' as const;

  constructor(private readonly options: OpencodeDriverOptions = {}) {}

  private get bin(): string {
    return this.options.bin ?? 'opencode';
  }

  /** `opencode --version`, run with a throwaway HOME (OpenCode creates its directories there). */
  detect(env: Readonly<Record<string, string>>): Promise<{ readonly version: string } | null> {
    return new Promise((resolve) => {
      let home: string | null = null;
      const done = (v: { version: string } | null): void => {
        if (home !== null) rmSync(home, { recursive: true, force: true });
        resolve(v);
      };
      try {
        home = mkdtempSync(join(tmpdir(), 'cortical-opencode-detect-'));
        execFile(this.bin, ['--version'], { env: { ...env, HOME: home, OPENCODE_DISABLE_AUTOUPDATE: '1' }, timeout: 20_000 }, (err, stdout) => {
          const m = /(\d+\.\d+\.\d+\S*)/.exec(String(stdout));
          done(err === null && m !== null ? { version: m[1]! } : null);
        });
      } catch {
        done(null);
      }
    });
  }

  async startIteration(input: AgentIterationInput): Promise<AgentRun> {
    if (input.prompt.trim() === '') throw new CorticalError('VALIDATION_FAILED', 'the opencode agent needs a prompt');
    const endpoint = input.endpoints?.openai ?? null;
    const model = input.model ?? endpoint?.defaultModel ?? OPENCODE_DEFAULT_MODEL;
    const configPaths = input.homePath !== undefined ? writeOpencodeConfig(input.homePath, { endpoint, model }) : [];
    const env: Record<string, string> = {
      ...iterationEnv(input),
      ...opencodeEnv({ homePath: input.homePath, endpoint }),
      // Loaded after every config file: a repository's opencode.json cannot redirect the
      // provider or the permissions (and without a HOME of its own this is the whole config).
      OPENCODE_CONFIG_CONTENT: JSON.stringify(opencodeConfig({ endpoint, model })),
    };
    const parser = new OpencodeStreamParser(input.workspacePath, { model, prices: this.options.prices ?? DEFAULT_PRICES });
    const spawnPart = async (args: string[], stdin: string): Promise<RunPart> => {
      const sleeve = await input.runtime.spawn({
        command: this.bin,
        args,
        cwd: input.workspacePath,
        env,
        stdin,
        ...(input.sleeve ?? {}),
        readOnlyPaths: [...(input.sleeve?.readOnlyPaths ?? []), ...configPaths],
      });
      return {
        sleeve,
        parse: (l) => parser.line(l.stream, l.text).map((e) => redactEvent(e, input.endpoints)),
        flush: () => parser.endOfOutput().map((e) => redactEvent(e, input.endpoints)),
      };
    };
    const first = await spawnPart(opencodeArgs({ model, resumeSession: input.resumeSession }), input.prompt);
    return resumableRun(first, (text) => {
      const session = parser.sessionId ?? input.resumeSession ?? null;
      return spawnPart(opencodeArgs({ model, resumeSession: session, continueLast: session === null }), text);
    });
  }
}
