/**
 * The `aider` driver (degraded): Aider (`aider --message PROMPT`) for one iteration, pointed at
 * the node's OpenAI-compatible endpoint (OPENAI_API_BASE / OPENAI_API_KEY, model
 * `openai/MODEL`). Aider writes text only: every line is a log line, with a best-effort parse of
 * its token/cost report and "Applied edit" lines. A clean exit without an API error is `done`.
 * Guidance waits for the next iteration: Aider takes no input while `--message` runs, and has no
 * session to resume headless.
 */
import { execFile } from 'node:child_process';
import { CorticalError } from '../../../core/errors.js';
import type { AgentDriver, AgentEvent, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { DEFAULT_PRICES, type PriceTable } from '../../../core/pricing.js';
import { iterationEnv, sleeveAgentRun } from '../sleeve-agent-run.js';
import { redactEvent } from '../redact-event.js';
import { AiderOutputParser } from './aider-output-parser.js';

export const AIDER_DEFAULT_MODEL = 'gpt-4.1';

export interface AiderDriverOptions {
  /** The executable (default `aider`, resolved through the sleeve's PATH). */
  readonly bin?: string;
  /** Arguments before Aider's own (a script's path when `bin` is an interpreter). */
  readonly binArgs?: readonly string[];
  readonly prices?: PriceTable;
}

/** Aider's command line for one headless run. */
export function aiderArgs(prompt: string, model: string): string[] {
  return [
    '--message',
    prompt,
    '--yes-always',
    '--no-pretty',
    '--no-stream',
    '--no-auto-commits',
    '--no-check-update',
    '--no-analytics',
    '--no-show-release-notes',
    '--model',
    `openai/${model}`,
  ];
}

export class AiderDriver implements AgentDriver {
  readonly name = 'aider';
  readonly guidance = 'next_iteration' as const;
  readonly degraded = true;

  constructor(private readonly options: AiderDriverOptions = {}) {}

  private get bin(): string {
    return this.options.bin ?? 'aider';
  }

  detect(env: Readonly<Record<string, string>>): Promise<{ readonly version: string } | null> {
    return new Promise((resolve) => {
      try {
        execFile(this.bin, [...(this.options.binArgs ?? []), '--version'], { env: { ...env }, timeout: 30_000 }, (err, stdout) => {
          const m = /(\d+\.\d+\.\d+\S*)/.exec(String(stdout));
          resolve(err === null && m !== null ? { version: m[1]! } : null);
        });
      } catch {
        resolve(null);
      }
    });
  }

  async startIteration(input: AgentIterationInput): Promise<AgentRun> {
    if (input.prompt.trim() === '') throw new CorticalError('VALIDATION_FAILED', 'the aider agent needs a prompt');
    const endpoint = input.endpoints?.openai ?? null;
    const model = input.model ?? endpoint?.defaultModel ?? AIDER_DEFAULT_MODEL;
    const sleeve = await input.runtime.spawn({
      command: this.bin,
      args: [...(this.options.binArgs ?? []), ...aiderArgs(input.prompt, model)],
      cwd: input.workspacePath,
      env: {
        ...iterationEnv(input),
        ...(input.homePath !== undefined ? { HOME: input.homePath } : {}),
        ...(endpoint !== null ? { OPENAI_API_BASE: endpoint.baseUrl, OPENAI_API_KEY: endpoint.apiKey } : {}),
        AIDER_ANALYTICS: 'false',
        AIDER_CHECK_UPDATE: 'false',
        PYTHONUNBUFFERED: '1',
      },
      ...(input.sleeve ?? {}),
    });
    const parser = new AiderOutputParser(input.workspacePath, { model, prices: this.options.prices ?? DEFAULT_PRICES });
    const run = sleeveAgentRun(sleeve, (l) => parser.line(l.stream, l.text).map((e) => redactEvent(e, input.endpoints)));
    async function* events(): AsyncGenerator<AgentEvent> {
      yield* run.events;
      const exit = await run.exited;
      if (exit.exitCode === 0 && !parser.sawError) yield { kind: 'done', summary: null };
    }
    return { ...run, events: events() };
  }
}
