/**
 * The `claude` driver: Claude Code (`claude -p`, stream-json in and out) headless for one
 * iteration, pointed at the node's Anthropic endpoint, with live guidance through its stdin.
 */
import { execFile } from 'node:child_process';
import type { AgentPolicyGate } from '../../../core/agent-policy-map.js';
import { CorticalError } from '../../../core/errors.js';
import type { AgentDriver, AgentIterationInput, AgentRun } from '../../../core/ports/agent-driver.js';
import { DEFAULT_PRICES, type PriceTable } from '../../../core/pricing.js';
import { iterationEnv, sleeveAgentRun } from '../sleeve-agent-run.js';
import { CLAUDE_DEFAULT_MODEL, claudeArgs, claudeEnv, userMessageLine, writeClaudeSettings, type ClaudePermissionMode } from './claude-config.js';
import { ClaudeLiveInput } from './claude-live-input.js';
import { openClaudePolicyForIteration } from './claude-policy-hook.js';
import { ClaudeStreamParser } from './claude-stream-parser.js';

export interface ClaudeDriverOptions {
  /** The executable (default `claude`, resolved through the sleeve's PATH). */
  readonly bin?: string;
  readonly prices?: PriceTable;
  /** Claude Code's own retries of a failed API request (CLAUDE_CODE_MAX_RETRIES); default 2. */
  readonly maxRetries?: number;
  /** How long stdin stays open after a turn while guidance is still unread (ms). */
  readonly guidanceSettleMs?: number;
  /**
   * The tool policy: each tool call is put to the node through a PreToolUse hook
   * (claude-policy-hook.ts) and decided with the task's policy and the fleet lockdown. Absent:
   * only the sleeve limits the agent.
   */
  readonly policy?: AgentPolicyGate;
  /** The Node executable the policy hook runs with (default this process's; it must be reachable in the sleeve). */
  readonly nodePath?: string;
}

export class ClaudeDriver implements AgentDriver {
  readonly name = 'claude';
  readonly guidance = 'live' as const;

  constructor(private readonly options: ClaudeDriverOptions = {}) {}

  private get bin(): string {
    return this.options.bin ?? 'claude';
  }

  detect(env: Readonly<Record<string, string>>): Promise<{ readonly version: string } | null> {
    return new Promise((resolve) => {
      try {
        execFile(this.bin, ['--version'], { env: { ...env }, timeout: 20_000 }, (err, stdout) => {
          const m = /(\d+\.\d+\.\d+\S*)/.exec(String(stdout));
          resolve(err === null && m !== null ? { version: m[1]! } : null);
        });
      } catch {
        resolve(null);
      }
    });
  }

  async startIteration(input: AgentIterationInput): Promise<AgentRun> {
    if (input.prompt.trim() === '') throw new CorticalError('VALIDATION_FAILED', 'the claude agent needs a prompt');
    const endpoint = input.endpoints?.anthropic ?? null;
    const model = input.model ?? endpoint?.defaultModel ?? CLAUDE_DEFAULT_MODEL;
    const mode = permissionMode(input.runtime.sandboxed);
    const settings = input.homePath !== undefined ? writeClaudeSettings(input.homePath, mode) : [];
    const gate = this.options.policy;
    const policy =
      gate === undefined
        ? null
        : await openClaudePolicyForIteration(gate, { taskId: input.taskId, iteration: input.iteration, workspacePath: input.workspacePath, parentDir: input.homePath }, this.options.nodePath);
    const sleeve = await input.runtime
      .spawn({
        command: this.bin,
        args: claudeArgs({ model, mode, resumeSession: input.resumeSession, settingsFile: policy?.settingsPath }),
        cwd: input.workspacePath,
        env: {
          ...iterationEnv(input),
          ...claudeEnv({ homePath: input.homePath, endpoint, sandboxed: input.runtime.sandboxed, maxRetries: this.options.maxRetries ?? 2 }),
        },
        stdin: userMessageLine(input.prompt),
        keepStdinOpen: true,
        ...(input.sleeve ?? {}),
        readOnlyPaths: [...(input.sleeve?.readOnlyPaths ?? []), ...settings, ...(policy !== null ? [policy.dir] : [])],
      })
      .catch(async (e: unknown) => {
        await policy?.close();
        throw e;
      });
    if (policy !== null) void sleeve.exited.finally(() => policy.close());
    const live = new ClaudeLiveInput(sleeve.input, this.options.guidanceSettleMs);
    void sleeve.exited.then(() => live.end());
    const parser = new ClaudeStreamParser(input.workspacePath, {
      prices: this.options.prices ?? DEFAULT_PRICES,
      hooks: { onUserMessageTaken: () => live.messageTaken(), onResult: () => live.turnEnded() },
    });
    const run = sleeveAgentRun(sleeve, (l) => parser.line(l.stream, l.text));
    return {
      ...run,
      guide: (text: string) => Promise.resolve().then(() => live.guide(text)),
    };
  }
}

/**
 * Inside a sandbox (or as a non-root user) Claude Code may bypass its permission prompts;
 * unsandboxed as root it refuses to, so the settings' allow rules with `acceptEdits` are used.
 */
function permissionMode(sandboxed: boolean): ClaudePermissionMode {
  return sandboxed || process.getuid?.() !== 0 ? 'bypassPermissions' : 'acceptEdits';
}
