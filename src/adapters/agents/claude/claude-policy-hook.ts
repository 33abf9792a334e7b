/**
 * Tool policy for Claude Code: a PreToolUse hook that asks the node.
 *
 * For each iteration the node listens on a Unix socket (HTTP, `POST /v1/decide`) in a directory
 * of the sleeve's HOME, and Claude Code gets a settings file (passed with `--settings`, which
 * project and local settings in the workspace cannot override) whose PreToolUse hook runs a tiny
 * Node script for every tool call: it forwards the hook's input (`tool_name`, `tool_input` …) to
 * the socket and blocks the call (exit code 2, the reason on stderr, which Claude Code shows the
 * model) when the node denies it. The hook fails closed: when the socket cannot be reached, does
 * not answer in time or answers nonsense, or the script cannot run at all, the call is blocked.
 * An allowed call gets no output, so Claude Code's own permission rules still apply.
 *
 * A Unix socket rather than loopback TCP: a sleeve with network `none` or `allowlist` has its
 * own network namespace, but a socket file bound into it is reachable.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { decideClaudeToolCall, type AgentPolicyGate } from '../../../core/agent-policy-map.js';
import { CorticalError } from '../../../core/errors.js';

/** The hook's input as the endpoint reads it (Claude Code sends more fields; they are ignored). */
export const ClaudeHookInputSchema = z.object({
  hook_event_name: z.string().optional(),
  tool_name: z.string().min(1),
  tool_input: z.record(z.string(), z.unknown()).default({}),
  session_id: z.string().optional(),
  cwd: z.string().optional(),
});
export type ClaudeHookInput = z.infer<typeof ClaudeHookInputSchema>;

export interface ClaudeHookAnswer {
  readonly allowed: boolean;
  readonly reason: string;
}

/** Longest Unix socket path (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;
/** How long the hook waits for the node before it blocks the call. */
export const HOOK_TIMEOUT_MS = 30_000;

/**
 * The hook program (ES module, run with the node that runs Cortical): argv[2] is the socket.
 * Exit 0 without output = allowed; exit 2 with the reason on stderr = blocked.
 */
export const CLAUDE_POLICY_HOOK_SCRIPT = `// Cortical tool policy hook for Claude Code (PreToolUse): asks the node, fails closed.
import { request } from 'node:http';
const socketPath = process.argv[2];
function block(reason) {
  process.stderr.write('Cortical tool policy: ' + reason + '\\n');
  process.exit(2);
}
const timer = setTimeout(() => block("the node's policy endpoint did not answer in time; the call is refused"), ${HOOK_TIMEOUT_MS});
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('error', () => block('could not read the hook input; the call is refused'));
process.stdin.on('end', () => {
  const body = Buffer.concat(chunks);
  const req = request({ socketPath, path: '/v1/decide', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
    const parts = [];
    res.on('data', (c) => parts.push(c));
    res.on('error', () => block("the node's policy endpoint broke off its answer; the call is refused"));
    res.on('end', () => {
      clearTimeout(timer);
      let answer = null;
      try { answer = JSON.parse(Buffer.concat(parts).toString('utf8')); } catch { answer = null; }
      if (res.statusCode === 200 && answer !== null && answer.allowed === true) process.exit(0);
      if (answer !== null && typeof answer.reason === 'string') block('denied: ' + answer.reason);
      block("the node's policy endpoint gave no decision (HTTP " + res.statusCode + '); the call is refused');
    });
  });
  req.on('error', (e) => block("the node's policy endpoint cannot be reached (" + (e.code || e.message) + '); the call is refused'));
  req.end(body);
});
`;

/** The PreToolUse hook settings for `command` (every tool: matcher `*`). */
export function claudePolicyHookSettings(command: string): Record<string, unknown> {
  return {
    disableAllHooks: false,
    hooks: { PreToolUse: [{ matcher: '*', hooks: [{ type: 'command', command, timeout: Math.ceil(HOOK_TIMEOUT_MS / 1000) + 15 }] }] },
  };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The hook's command line: a non-zero exit of anything but the script's own refusal is turned into a refusal too. */
export function claudePolicyHookCommand(nodePath: string, scriptPath: string, socketPath: string): string {
  return `${shellQuote(nodePath)} ${shellQuote(scriptPath)} ${shellQuote(socketPath)} || exit 2`;
}

export interface ClaudePolicyEndpoint {
  /** The directory holding the socket, the script and the settings file (bind it read-only into the sleeve). */
  readonly dir: string;
  readonly socketPath: string;
  readonly scriptPath: string;
  /** The settings file to pass with `--settings`. */
  readonly settingsPath: string;
  close(): Promise<void>;
}

export interface ClaudePolicyEndpointOptions {
  /** Where to make the directory (the sleeve's HOME); a short directory under the temp dir when the socket path would be too long. */
  readonly parentDir: string | undefined;
  /** Decides one tool call (never throws; a throw is answered as a refusal). */
  readonly decide: (input: ClaudeHookInput) => ClaudeHookAnswer;
  /** The Node executable the hook runs with (default this process's). */
  readonly nodePath?: string;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > maxBytes) return null;
    parts.push(b);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Answers one request of the hook. */
async function handle(req: IncomingMessage, res: ServerResponse, decide: ClaudePolicyEndpointOptions['decide']): Promise<void> {
  if (req.method !== 'POST' || req.url !== '/v1/decide') return send(res, 404, { allowed: false, reason: `unknown request ${req.method ?? ''} ${req.url ?? ''}; POST /v1/decide is accepted` });
  const text = await readBody(req, 4 * 1024 * 1024);
  if (text === null) return send(res, 413, { allowed: false, reason: 'the hook input is larger than 4 MiB' });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return send(res, 400, { allowed: false, reason: 'the hook input is not JSON' });
  }
  const parsed = ClaudeHookInputSchema.safeParse(json);
  if (!parsed.success) return send(res, 400, { allowed: false, reason: `the hook input needs tool_name (a string) and tool_input (an object): ${parsed.error.message}` });
  let answer: ClaudeHookAnswer;
  try {
    answer = decide(parsed.data);
  } catch (e) {
    answer = { allowed: false, reason: `the policy check failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  send(res, 200, { allowed: answer.allowed, reason: answer.reason });
}

/** Opens the policy endpoint of one iteration and writes the hook script and settings next to it. */
export async function openClaudePolicyEndpoint(opts: ClaudePolicyEndpointOptions): Promise<ClaudePolicyEndpoint> {
  let dir = join(opts.parentDir ?? '', '.cortical-policy');
  let ownDir = false;
  if (opts.parentDir === undefined || Buffer.byteLength(join(dir, 'policy.sock')) > MAX_SOCKET_PATH) {
    dir = mkdtempSync(join(tmpdir(), 'cortical-policy-'));
    ownDir = true;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const socketPath = join(dir, 'policy.sock');
  const scriptPath = join(dir, 'policy-hook.mjs');
  const settingsPath = join(dir, 'settings.json');
  writeFileSync(scriptPath, CLAUDE_POLICY_HOOK_SCRIPT, { mode: 0o644 });
  const command = claudePolicyHookCommand(opts.nodePath ?? process.execPath, scriptPath, socketPath);
  writeFileSync(settingsPath, `${JSON.stringify(claudePolicyHookSettings(command), null, 2)}\n`, { mode: 0o644 });

  const server = createServer((req, res) => {
    handle(req, res, opts.decide).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { allowed: false, reason: `the policy endpoint failed: ${e instanceof Error ? e.message : String(e)}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new CorticalError('INTERNAL', `cannot open the policy endpoint at ${socketPath}: ${e.message}`)));
    server.listen(socketPath, () => resolve());
  });
  let closed: Promise<void> | null = null;
  return {
    dir,
    socketPath,
    scriptPath,
    settingsPath,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => {
        rmSync(socketPath, { force: true });
        if (ownDir) rmSync(dir, { recursive: true, force: true });
      });
      return closed;
    },
  };
}

/**
 * The endpoint of one iteration under `gate`: every hook request is decided with the task's
 * rules as they are at that moment (a lockdown applies at once) and recorded.
 */
export function openClaudePolicyForIteration(
  gate: AgentPolicyGate,
  input: { readonly taskId: string; readonly iteration: number; readonly workspacePath: string; readonly parentDir: string | undefined },
  nodePath?: string,
): Promise<ClaudePolicyEndpoint> {
  return openClaudePolicyEndpoint({
    parentDir: input.parentDir,
    ...(nodePath !== undefined ? { nodePath } : {}),
    decide: (hook) => {
      const d = decideClaudeToolCall(hook.tool_name, hook.tool_input, gate.rulesFor(input.taskId), { workspace: input.workspacePath });
      gate.record(input.taskId, input.iteration, d);
      return { allowed: d.allowed, reason: d.reason };
    },
  });
}
