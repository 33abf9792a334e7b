/**
 * Which agents a node has: every driver whose CLI answers `--version` (drivers without a CLI,
 * such as `shell` and `script`, always count). The node advertises each as capabilities — the
 * agent's name and `<name>-<version>` — so tasks land only where their agent is installed
 * (`--agent codex`) or a version is (`--requires claude-2.1.330`); and the default model of each
 * configured endpoint as `model-<id>` (`--requires model-gpt-5`).
 */
import type { AgentDriver } from '../core/ports/agent-driver.js';
import type { ModelEndpoints } from '../core/model-endpoints.js';

export interface DiscoveredAgents {
  readonly drivers: ReadonlyMap<string, AgentDriver>;
  /** name → version ('' for drivers without a CLI). */
  readonly versions: Readonly<Record<string, string>>;
  readonly capabilities: readonly string[];
}

/** A capability made of free text: lowercase, allowed characters only, at most 63 long. */
export function capabilityOf(text: string): string | null {
  const c = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63)
    .replace(/[-.]+$/, '');
  return c === '' ? null : c;
}

/** The version number in a CLI's `--version` output (`codex-cli 0.169.0` → `0.169.0`). */
export function versionNumber(output: string): string {
  return /\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?/.exec(output)?.[0] ?? output.trim().split(/\s+/)[0] ?? '';
}

/**
 * `usable(name)`: whether the node can serve the agent at all (an AI agent needs its model
 * endpoint configured); unusable agents are not advertised, whatever their CLI says.
 */
export async function discoverAgents(
  all: ReadonlyMap<string, AgentDriver>,
  env: Readonly<Record<string, string>>,
  endpoints: ModelEndpoints,
  usable: (name: string) => boolean = () => true,
): Promise<DiscoveredAgents> {
  const found = await Promise.all(
    [...all].filter(([name]) => usable(name)).map(async ([name, driver]) => {
      if (driver.detect === undefined) return { name, driver, version: '' };
      const detected = await driver.detect(env).catch(() => null);
      return detected === null ? null : { name, driver, version: versionNumber(detected.version) };
    }),
  );
  const present = found.filter((f): f is { name: string; driver: AgentDriver; version: string } => f !== null);
  const capabilities = new Set<string>();
  for (const f of present) {
    capabilities.add(f.name);
    if (f.version !== '') {
      const c = capabilityOf(`${f.name}-${f.version}`);
      if (c !== null) capabilities.add(c);
    }
  }
  for (const e of [endpoints.anthropic, endpoints.openai, endpoints.gemini, endpoints.openaiCompatible]) {
    const c = e?.defaultModel ? capabilityOf(`model-${e.defaultModel}`) : null;
    if (c !== null) capabilities.add(c);
  }
  return {
    drivers: new Map(present.map((f) => [f.name, f.driver])),
    versions: Object.fromEntries(present.map((f) => [f.name, f.version])),
    capabilities: [...capabilities],
  };
}
