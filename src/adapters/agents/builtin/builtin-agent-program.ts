/**
 * The built-in agent program: runs inside the sleeve (`node --import tsx builtin-agent-program.ts
 * CONFIG`), so every command it runs is sandboxed. Reads its config (builtin-config.ts) and the
 * endpoint key from $CORTICAL_BUILTIN_API_KEY, runs the tool loop and prints its events as JSON
 * lines on stdout (builtin-events.ts). Exit code 0 when the model finished, 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import { runAgentLoop, DEFAULT_SYSTEM_PROMPT } from './builtin-agent-loop.js';
import { AnthropicClient } from './builtin-anthropic.js';
import { BUILTIN_API_KEY_ENV, parseBuiltinConfig, type BuiltinConfig } from './builtin-config.js';
import { formatBuiltinEvent, type BuiltinEvent } from './builtin-events.js';
import { GuidanceInbox } from './builtin-guidance.js';
import type { ModelClient } from './builtin-model-types.js';
import { OpenAiChatClient } from './builtin-openai-chat.js';
import { BUILTIN_TOOL_SPECS } from './builtin-tool-specs.js';
import { ToolRunner } from './builtin-tool-runner.js';

function emitter(key: string): (event: BuiltinEvent) => void {
  const redact = (text: string): string => (key.length >= 8 ? text.split(key).join('[redacted]') : text);
  return (event) => {
    process.stdout.write(`${redact(formatBuiltinEvent(event))}\n`);
  };
}

function clientFor(config: BuiltinConfig, apiKey: string): ModelClient {
  const opts = {
    baseUrl: config.endpoint.baseUrl,
    apiKey,
    model: config.endpoint.model,
    maxTokens: config.limits.maxTokens,
    idleTimeoutMs: config.limits.requestTimeoutMs,
    env: process.env,
  };
  return config.endpoint.kind === 'anthropic' ? new AnthropicClient(opts) : new OpenAiChatClient(opts);
}

async function main(): Promise<number> {
  const apiKey = process.env[BUILTIN_API_KEY_ENV] ?? '';
  const emit = emitter(apiKey);
  let config: BuiltinConfig;
  try {
    const path = process.argv[2];
    if (path === undefined) throw new Error('usage: builtin-agent-program CONFIG.json');
    config = parseBuiltinConfig(readFileSync(path, 'utf8'));
  } catch (e) {
    emit({ builtin: 'error', reason: 'agent_error', message: e instanceof Error ? e.message : String(e), fatal: true });
    return 1;
  }
  // Commands the model runs never see the endpoint key.
  const commandEnv: Record<string, string | undefined> = { ...process.env };
  delete commandEnv[BUILTIN_API_KEY_ENV];
  const runner = new ToolRunner({
    workspace: config.workspace,
    policy: config.policy,
    lockdown: config.lockdown,
    env: commandEnv,
    commandTimeoutMs: config.limits.commandTimeoutMs,
    maxOutputChars: config.limits.maxOutputChars,
  });
  const inbox = new GuidanceInbox(config.guidanceDir);
  const outcome = await runAgentLoop(
    {
      client: clientFor(config, apiKey),
      tools: BUILTIN_TOOL_SPECS,
      runTool: (name, args) => runner.run(name, args),
      takeGuidance: () => inbox.take(),
      emit,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
    {
      model: config.endpoint.model,
      system: DEFAULT_SYSTEM_PROMPT,
      prompt: config.prompt,
      maxSteps: config.limits.maxSteps,
      maxRetries: config.limits.maxRetries,
      maxRetryWaitMs: config.limits.maxRetryWaitMs,
    },
  );
  return outcome === 'done' ? 0 : 1;
}

process.exitCode = await main().catch((e: unknown) => {
  process.stdout.write(`${JSON.stringify({ builtin: 'error', reason: 'agent_error', message: `internal error: ${e instanceof Error ? e.message : String(e)}`, fatal: true })}\n`);
  return 1;
});
