/**
 * Sleeves for agent tests: a real bubblewrap runtime with the node's egress gateway, so an agent
 * CLI runs sandboxed with network limited to exactly the model server (`allowlist` of its
 * host:port), a task-like workspace and a HOME outside it. Falls back to nothing: tests that need
 * it skip with SKIP_NO_BWRAP when bubblewrap cannot run here.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HttpEgressGateway } from '../../../src/adapters/egress/http-proxy/http-egress-gateway.js';
import { BubblewrapRuntime } from '../../../src/adapters/runtime/bubblewrap/bubblewrap-runtime.js';
import { ProcessRuntime } from '../../../src/adapters/runtime/process/process-runtime.js';
import type { Runtime } from '../../../src/core/ports/runtime.js';
import type { SleeveOptions } from '../../../src/core/ports/agent-driver.js';
import { DEFAULT_SANDBOX, type SandboxSpec } from '../../../src/core/sandbox.js';

export const SKIP_NO_BWRAP = 'bubblewrap not available';

/** Where `tools/agent-clis` installs the pinned CLIs (`npm run agents:install`). */
export const AGENT_CLIS_BIN = resolve(import.meta.dirname, '../../../tools/agent-clis/node_modules/.bin');

/** Absolute path of an installed agent CLI, or null when it is not installed. */
export function agentCli(name: 'claude' | 'codex' | 'gemini' | 'opencode'): string | null {
  const p = join(AGENT_CLIS_BIN, name);
  return existsSync(p) ? p : null;
}

/**
 * Why a real-CLI test cannot run here, or null when it can. In CI (`CI=true`) a missing CLI is
 * not a reason to skip: the test runs and fails, so CI never passes without the CLIs.
 */
export function cliSkipReason(name: 'claude' | 'codex' | 'gemini' | 'opencode'): string | null {
  if (agentCli(name) !== null) return null;
  if (process.env.CI === 'true') return null;
  return `${name} CLI not installed (npm run agents:install)`;
}

export interface AgentSleeveKit {
  readonly runtime: Runtime;
  /** A fresh workspace (the agent's cwd) and HOME per call. */
  makeWorkspace(): { workspacePath: string; homePath: string };
  /**
   * Sleeve options for an iteration whose network reaches only `allow` (host:port entries);
   * `writablePaths` must include the HOME (it lies outside the workspace), as on a node.
   */
  sleeve(allow: readonly string[], extra?: { readOnlyPaths?: readonly string[]; writablePaths?: readonly string[] }): SleeveOptions;
  /** A base environment like the node's scrubbed one (PATH, LANG, no secrets). */
  baseEnv(homePath: string): Record<string, string>;
  close(): Promise<void>;
}

/**
 * `sandboxed: true` needs bubblewrap (check `BubblewrapRuntime.available()` first); `false` gives
 * the unsandboxed process runtime (fast unit-level driver tests).
 */
export function startAgentSleeveKit(opts: { sandboxed: boolean; root?: string }): AgentSleeveKit {
  // Not under /tmp: sleeves hide or re-mount /tmp, and a workspace must be a path of its own.
  const base = opts.root ?? resolve(import.meta.dirname, '../../../.test-tmp');
  mkdirSync(base, { recursive: true });
  const root = mkdtempSync(join(base, 'agent-kit-'));
  let egress: HttpEgressGateway | null = null;
  let runtime: Runtime;
  if (opts.sandboxed) {
    egress = new HttpEgressGateway({ socketDir: join(root, 'egress') });
    runtime = new BubblewrapRuntime({ egress, hiddenPaths: [] });
  } else {
    runtime = new ProcessRuntime();
  }
  let n = 0;
  return {
    runtime,
    makeWorkspace() {
      n += 1;
      const workspacePath = join(root, `ws-${n}`);
      const homePath = join(root, `home-${n}`);
      mkdirSync(workspacePath, { recursive: true });
      mkdirSync(homePath, { recursive: true });
      return { workspacePath, homePath };
    },
    sleeve(allow, extra) {
      const sandbox: SandboxSpec = { ...DEFAULT_SANDBOX, network: { mode: 'allowlist', allow: [...allow] } };
      return { sandbox, readOnlyPaths: [...(extra?.readOnlyPaths ?? [])], writablePaths: [...(extra?.writablePaths ?? [])] };
    },
    baseEnv(homePath) {
      return { PATH: `${AGENT_CLIS_BIN}:/usr/local/bin:/usr/bin:/bin`, LANG: 'C.UTF-8', TERM: 'dumb', HOME: homePath };
    },
    async close() {
      await egress?.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
