/**
 * The Codex CLI driver: `codex exec --json` headless, pointed at the node's OpenAI endpoint
 * through a per-run `$CODEX_HOME/config.toml` (Codex ignores OPENAI_BASE_URL). Guidance is
 * `interrupt_resume`: the running `codex exec` is stopped and `codex exec resume THREAD` goes on
 * with the guidance as the prompt.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CorticalError } from '../../../core/errors.js';
import type { AgentDriver, AgentEvent, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { DEFAULT_BASE_URLS, NO_ENDPOINTS, redactKeys } from '../../../core/model-endpoints.js';
import { DEFAULT_PRICES, type PriceTable } from '../../../core/pricing.js';
import { resumableRun, type RunPart } from '../resumable-run.js';
import { iterationEnv } from '../sleeve-agent-run.js';
import { CODEX_KEY_VARIABLE, codexConfigToml, type CodexSandboxMode } from './codex-config.js';
import { CodexStreamParser, ZERO_CODEX_USAGE } from './codex-stream-parser.js';
import { codexThreadUsage, findRollout } from './codex-thread-usage.js';

/** The model when neither the task nor the endpoint names one. */
export const CODEX_DEFAULT_MODEL = 'gpt-5';

export interface CodexDriverOptions {
  /** The `codex` executable (default `codex`, found through the sleeve's PATH). */
  readonly bin?: string | undefined;
  readonly prices?: PriceTable | undefined;
  /**
   * Codex's own sandbox for model-run commands. Default `danger-full-access`: the sleeve is the
   * sandbox, and Codex's Linux sandbox cannot nest inside bubblewrap.
   */
  readonly sandboxMode?: CodexSandboxMode | undefined;
  /** Retries of a failed model request (429, 5xx); default 2. */
  readonly requestMaxRetries?: number | undefined;
  /** Reconnects of a dropped response stream; default 2. */
  readonly streamMaxRetries?: number | undefined;
  /** A silent response stream is abandoned after this long; default 300 s. */
  readonly streamIdleTimeoutMs?: number | undefined;
}

/** The arguments of one `codex exec` (a new thread, or `resume` of `session`). */
export function codexArgs(model: string, prompt: string, session: string | null): string[] {
  const common = ['--json', '--skip-git-repo-check', '--strict-config', '-m', model];
  return session === null ? ['exec', ...common, '--', prompt] : ['exec', 'resume', ...common, '--', session, prompt];
}

function versionOf(bin: string, env: Readonly<Record<string, string>>): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      execFile(bin, ['--version'], { env: { ...env }, timeout: 15_000 }, (err, stdout) => {
        if (err !== null) return resolve(null);
        resolve(/(\d+\.\d+\.\d+[\w.-]*)/.exec(stdout)?.[1] ?? null);
      });
    } catch {
      resolve(null);
    }
  });
}

export class CodexDriver implements AgentDriver {
  readonly name = 'codex';
  readonly guidance = 'interrupt_resume' as const;
  private readonly bin: string;
  private readonly prices: PriceTable;

  constructor(private readonly options: CodexDriverOptions = {}) {
    this.bin = options.bin ?? 'codex';
    this.prices = options.prices ?? DEFAULT_PRICES;
  }

  async detect(env: Readonly<Record<string, string>>): Promise<{ version: string } | null> {
    const version = await versionOf(this.bin, env);
    return version === null ? null : { version };
  }

  async startIteration(input: AgentIterationInput): Promise<AgentRun> {
    if (input.homePath === undefined) throw new CorticalError('VALIDATION_FAILED', 'the codex agent needs a HOME for its per-run config');
    const endpoints = input.endpoints ?? NO_ENDPOINTS;
    const endpoint = endpoints.openai;
    const model = input.model ?? endpoint?.defaultModel ?? CODEX_DEFAULT_MODEL;
    const codexHome = join(input.homePath, '.codex');
    const configPath = join(codexHome, 'config.toml');
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(
      configPath,
      codexConfigToml({
        baseUrl: endpoint?.baseUrl ?? DEFAULT_BASE_URLS.openai,
        sandboxMode: this.options.sandboxMode ?? 'danger-full-access',
        requestMaxRetries: this.options.requestMaxRetries ?? 2,
        streamMaxRetries: this.options.streamMaxRetries ?? 2,
        streamIdleTimeoutMs: this.options.streamIdleTimeoutMs ?? 300_000,
      }),
      { mode: 0o644 },
    );
    const env: Record<string, string> = {
      ...iterationEnv(input),
      HOME: input.homePath,
      CODEX_HOME: codexHome,
      [CODEX_KEY_VARIABLE]: endpoint?.apiKey ?? '',
      NO_COLOR: '1',
      RUST_LOG: 'error',
    };
    // A session this CODEX_HOME has no rollout of (another agent's, a fresh HOME) cannot be resumed.
    const resumeFrom = input.resumeSession != null && findRollout(codexHome, input.resumeSession) !== null ? input.resumeSession : null;
    let session = resumeFrom;
    const parser = new CodexStreamParser({
      model,
      workspacePath: input.workspacePath,
      baseline: resumeFrom === null ? ZERO_CODEX_USAGE : codexThreadUsage(codexHome, resumeFrom),
      prices: this.prices,
      redact: (text) => redactKeys(text, endpoints),
    });
    const part = async (prompt: string, thread: string | null): Promise<RunPart> => {
      const sleeve = await input.runtime.spawn({
        command: this.bin,
        args: codexArgs(model, prompt, thread),
        cwd: input.workspacePath,
        env,
        ...input.sleeve,
        readOnlyPaths: [...(input.sleeve?.readOnlyPaths ?? []), configPath],
      });
      const parse = (line: Parameters<CodexStreamParser['line']>[0]): AgentEvent[] => {
        const events = parser.line(line);
        for (const e of events) if (e.kind === 'session') session = e.id;
        return events;
      };
      return { sleeve, parse, flush: () => parser.flush() };
    };
    const first = await part(input.prompt, resumeFrom);
    // Guidance before a turn started (Codex may not have taken the prompt into a thread yet):
    // start over with the prompt and the guidance; else resume the thread with the guidance.
    return resumableRun(first, (text) => (parser.turnStarted && session !== null ? part(text, session) : part(`${input.prompt}\n\n${text}`, resumeFrom)));
  }
}
