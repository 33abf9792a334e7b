/**
 * The `gemini` driver: the Gemini CLI (`gemini --prompt=… --output-format stream-json`) headless
 * for one iteration, pointed at the node's Gemini endpoint. Guidance interrupts the running turn
 * and resumes the CLI's session (`--resume ID`) with the guidance as the next prompt.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { CorticalError } from '../../../core/errors.js';
import type { AgentDriver, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import type { Sleeve, SleeveExit } from '../../../core/ports/runtime.js';
import { DEFAULT_PRICES, type PriceTable } from '../../../core/pricing.js';
import { resumableRun, type RunPart } from '../resumable-run.js';
import { iterationEnv } from '../sleeve-agent-run.js';
import { GEMINI_DEFAULT_MODEL, geminiArgs, geminiEnv, geminiSessionExists, writeGeminiSettings } from './gemini-config.js';
import { GeminiStreamParser } from './gemini-stream-parser.js';
import { GeminiUsageLedger } from './gemini-usage.js';

export interface GeminiDriverOptions {
  /** The executable (default `gemini`, resolved through the sleeve's PATH). */
  readonly bin?: string;
  readonly prices?: PriceTable;
  /** Tries of a failed model request (the CLI's `general.maxAttempts`, 1–10); default 3. */
  readonly maxAttempts?: number;
}

export class GeminiDriver implements AgentDriver {
  readonly name = 'gemini';
  readonly guidance = 'interrupt_resume' as const;

  constructor(private readonly options: GeminiDriverOptions = {}) {}

  private get bin(): string {
    return this.options.bin ?? 'gemini';
  }

  detect(env: Readonly<Record<string, string>>): Promise<{ readonly version: string } | null> {
    return new Promise((resolve) => {
      try {
        execFile(this.bin, ['--version'], { env: { ...env, GEMINI_CLI_NO_RELAUNCH: 'true' }, timeout: 20_000 }, (err, stdout) => {
          const m = /(\d+\.\d+\.\d+\S*)/.exec(String(stdout));
          resolve(err === null && m !== null ? { version: m[1]! } : null);
        });
      } catch {
        resolve(null);
      }
    });
  }

  async startIteration(input: AgentIterationInput): Promise<AgentRun> {
    if (input.prompt.trim() === '') throw new CorticalError('VALIDATION_FAILED', 'the gemini agent needs a prompt');
    const homePath = input.homePath;
    if (homePath === undefined) throw new CorticalError('VALIDATION_FAILED', 'the gemini agent needs a HOME for its settings (homePath)');
    const endpoint = input.endpoints?.gemini ?? null;
    const model = input.model ?? endpoint?.defaultModel ?? GEMINI_DEFAULT_MODEL;
    const settings = writeGeminiSettings(homePath, { maxAttempts: this.options.maxAttempts ?? 3 });
    const ledger = new GeminiUsageLedger(this.options.prices ?? DEFAULT_PRICES);
    const previous = input.resumeSession ?? null;
    const resumable = previous !== null && geminiSessionExists(homePath, previous);
    const sessionId = resumable ? previous : randomUUID();

    const startPart = async (prompt: string, resume: boolean): Promise<RunPart> => {
      const sleeve = await input.runtime.spawn({
        command: this.bin,
        args: geminiArgs({ prompt, model, sessionId, resume }),
        cwd: input.workspacePath,
        env: { ...iterationEnv(input), ...geminiEnv({ homePath, endpoint }) },
        ...(input.sleeve ?? {}),
        readOnlyPaths: [...(input.sleeve?.readOnlyPaths ?? []), ...settings],
      });
      return exitAwarePart(sleeve, new GeminiStreamParser({ workspacePath: input.workspacePath, ledger, model }));
    };

    const first = await startPart(input.prompt, resumable);
    return resumableRun(first, (guidance) =>
      // The interrupted turn normally left its session on disk; if it died before, start over with the guidance added.
      geminiSessionExists(homePath, sessionId) ? startPart(guidance, true) : startPart(`${input.prompt}\n\n${guidance}`, false),
    );
  }
}

/**
 * A run part whose parser learns how the process ended before its last events are taken: the
 * failed `result`'s reason needs the exit code, and a turn Cortical stopped reports no error.
 */
function exitAwarePart(sleeve: Sleeve, parser: GeminiStreamParser): RunPart {
  let end: SleeveExit | null = null;
  async function* lines(): AsyncGenerator<{ stream: 'stdout' | 'stderr'; text: string }> {
    yield* sleeve.lines;
    end = await sleeve.exited;
  }
  const wrapped: Sleeve = {
    pid: sleeve.pid,
    input: sleeve.input,
    lines: lines(),
    exited: sleeve.exited,
    suspend: () => sleeve.suspend(),
    resume: () => sleeve.resume(),
    stop: (graceMs) => sleeve.stop(graceMs),
  };
  return {
    sleeve: wrapped,
    parse: (l) => parser.parse(l),
    flush: () => parser.finish(end === null ? null : { exitCode: end.exitCode, signal: end.signal, stoppedByCortical: end.endedBy !== 'exit' }),
  };
}
