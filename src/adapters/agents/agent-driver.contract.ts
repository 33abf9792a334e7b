/**
 * The contract every agent driver passes: run with its real CLI (or program) in a real sleeve
 * against the scripted model server, it writes a file the model asks for, reports tool calls,
 * usage and completion as structured events, tells rate limits and auth errors apart, never
 * shows the endpoint key, reports its version, and delivers guidance the way it declares.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentDriver, AgentEvent, AgentRun } from '../../core/ports/agent-driver.js';
import type { ModelEndpoints } from '../../core/model-endpoints.js';
import { BubblewrapRuntime } from '../runtime/bubblewrap/bubblewrap-runtime.js';
import { agentCli, cliSkipReason, startAgentSleeveKit, type AgentSleeveKit } from '../../../test/kit/agents/agent-sleeve-kit.js';
import { startModelServer, type ModelServer } from '../../../test/kit/model-server/model-server.js';
import type { ProtocolHandler, Responder, ScriptedUsage } from '../../../test/kit/model-server/model-server-types.js';

/** What the contract needs to drive one agent: exported by test/kit/agents/<name>-script.ts. */
export interface DriverKit {
  readonly protocols: readonly ProtocolHandler[];
  endpoints(serverUrl: string, apiKey: string): ModelEndpoints;
  readonly model: string;
  /** The model asks the agent to write `relPath` with `content`, then answers with a final text. */
  writeFileScript(relPath: string, content: string, usage?: ScriptedUsage): Responder;
  makeDriver(bin: string): AgentDriver;
}

export type AgentCliName = 'claude' | 'codex' | 'gemini' | 'opencode';

const KEY = 'sk-contract-SECRET-7f3a9c1e5b';
const RUN_TIMEOUT_MS = 120_000;

export interface RunResult {
  readonly events: AgentEvent[];
  readonly exit: Awaited<AgentRun['exited']>;
}

async function drain(run: AgentRun, timeoutMs: number): Promise<RunResult> {
  const events: AgentEvent[] = [];
  const timer = setTimeout(() => void run.stop(1000), timeoutMs);
  try {
    for await (const e of run.events) events.push(e);
    return { events, exit: await run.exited };
  } finally {
    clearTimeout(timer);
  }
}

/** The first request (with tools) is held `ms` before it is answered; the rest as `inner`. */
function holdFirstMainRequest(inner: Responder, ms: number): Responder {
  let held = false;
  return async (req) => {
    const reply = await inner(req);
    if (held || req.toolNames.length === 0) return reply;
    held = true;
    return { ...reply, delayMs: ms };
  };
}

export function agentDriverContract(name: string, kit: DriverKit, opts: { readonly cli: AgentCliName | null }): void {
  const bwrap = BubblewrapRuntime.available();
  const skip = opts.cli === null ? null : cliSkipReason(opts.cli);
  describe.skipIf(skip !== null)(`agent driver contract: ${name}${skip === null ? '' : ` [skipped: ${skip}]`}`, () => {
    let sleeves: AgentSleeveKit;
    let server: ModelServer;
    let driver: AgentDriver;

    beforeAll(async () => {
      sleeves = startAgentSleeveKit({ sandboxed: await bwrap });
      server = await startModelServer({ protocols: kit.protocols, responder: kit.writeFileScript('hello.txt', 'hello\n') });
      driver = kit.makeDriver(opts.cli === null ? '' : (agentCli(opts.cli) ?? opts.cli));
    });
    afterAll(async () => {
      await server?.close();
      await sleeves?.close();
    });

    async function start(prompt: string, extra: { iteration?: number } = {}): Promise<{ run: AgentRun; workspacePath: string }> {
      const { workspacePath, homePath } = sleeves.makeWorkspace();
      const run = await driver.startIteration({
        taskId: 'task_contract',
        iteration: extra.iteration ?? 1,
        prompt,
        taskPrompt: prompt,
        guidance: [],
        workspacePath,
        homePath,
        env: sleeves.baseEnv(homePath),
        runtime: sleeves.runtime,
        sleeve: sleeves.sleeve([`127.0.0.1:${server.port}`], { writablePaths: [homePath] }),
        model: kit.model,
        endpoints: kit.endpoints(server.url, KEY),
        resumeSession: null,
      });
      return { run, workspacePath };
    }

    it(
      'writes the file the model asks for and reports tool call, usage and done as events',
      async () => {
        server.setResponder(kit.writeFileScript('hello.txt', 'hello from the model\n', { input: 1200, output: 300 }));
        const { run, workspacePath } = await start('Create hello.txt');
        const { events, exit } = await drain(run, RUN_TIMEOUT_MS);
        const file = join(workspacePath, 'hello.txt');
        expect(existsSync(file), JSON.stringify(events.slice(-8))).toBe(true);
        expect(readFileSync(file, 'utf8').trim()).toBe('hello from the model');
        expect(exit.exitCode).toBe(0);
        expect(events.some((e) => e.kind === 'tool_call')).toBe(true);
        const usage = events.filter((e): e is Extract<AgentEvent, { kind: 'usage' }> => e.kind === 'usage').at(-1);
        expect(usage?.tokensIn ?? 0).toBeGreaterThan(0);
        expect(usage?.tokensOut ?? 0).toBeGreaterThan(0);
        expect(events.some((e) => e.kind === 'done')).toBe(true);
        expect(events.some((e) => e.kind === 'error' && e.fatal)).toBe(false);
        expect(JSON.stringify(events)).not.toContain(KEY);
      },
      RUN_TIMEOUT_MS + 10_000,
    );

    it(
      'a rate limit is reported as an error with reason rate_limited',
      async () => {
        server.setResponder((req) => (req.toolNames.length === 0 ? { text: 'ok' } : { error: { kind: 'rate_limit', retryAfterS: 0, message: 'slow down' } }));
        const { run } = await start('Create hello.txt');
        const { events } = await drain(run, RUN_TIMEOUT_MS);
        expect(events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.reason : ''))).toContain('rate_limited');
        expect(events.some((e) => e.kind === 'done')).toBe(false);
      },
      RUN_TIMEOUT_MS + 10_000,
    );

    it(
      'an authentication error is reported as an error with reason auth_failed',
      async () => {
        server.setResponder(() => ({ error: { kind: 'auth', message: 'invalid x-api-key' } }));
        const { run } = await start('Create hello.txt');
        const { events } = await drain(run, RUN_TIMEOUT_MS);
        expect(events.filter((e) => e.kind === 'error').map((e) => (e.kind === 'error' ? e.reason : ''))).toContain('auth_failed');
        expect(JSON.stringify(events)).not.toContain(KEY);
      },
      RUN_TIMEOUT_MS + 10_000,
    );

    it('reports its version', async () => {
      // a HOME of its own: a CLI may write its config there even for --version
      const found = await driver.detect?.(sleeves.baseEnv(sleeves.makeWorkspace().homePath));
      expect(found?.version).toMatch(/\d+\.\d+/);
    }, 30_000);

    it(
      `guidance reaches the model (${kit.makeDriver('x').guidance})`,
      async () => {
        const guidance = `GUIDANCE-${name.toUpperCase()}-42`;
        server.setResponder(holdFirstMainRequest(kit.writeFileScript('guided.txt', 'guided\n'), 4000));
        const mark = server.requests.length;
        if (driver.guidance === 'next_iteration') {
          const { run } = await start(`Create guided.txt\n\n## Guidance from the operator\n\n- ${guidance}\n`, { iteration: 2 });
          expect(run.guide === undefined).toBe(true);
          await drain(run, RUN_TIMEOUT_MS);
        } else {
          const { run } = await start('Create guided.txt');
          const done = drain(run, RUN_TIMEOUT_MS);
          const deadline = Date.now() + 60_000;
          while (!server.requests.slice(mark).some((r) => r.toolNames.length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
          expect(run.guide === undefined).toBe(false);
          await expect(run.guide!(guidance)).resolves.toBe(driver.guidance);
          await done;
        }
        const seen = server.requests.slice(mark).some((r) => r.userTexts.some((t) => t.includes(guidance)));
        expect(seen).toBe(true);
      },
      RUN_TIMEOUT_MS * 2,
    );
  });
}
