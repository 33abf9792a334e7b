/**
 * Which agent CLIs a node has, read from its capabilities: a bare agent name (`claude`) says the
 * agent is there, `<agent>-<version>` (`claude-2.1.330`) says which version.
 */

export const VERSIONED_AGENTS = ['claude', 'codex', 'gemini', 'opencode', 'aider', 'builtin'] as const;

export interface AgentVersion {
  agent: string;
  /** Versions announced for it, sorted; empty when only the bare name is present. */
  versions: string[];
}

const VERSIONED = new RegExp(`^(${VERSIONED_AGENTS.join('|')})-(\\d[0-9a-z._+-]*)$`);

/** The agents a node offers, in the order of `VERSIONED_AGENTS`. */
export function agentVersions(capabilities: readonly string[]): AgentVersion[] {
  const found = new Map<string, Set<string>>();
  for (const cap of capabilities) {
    if ((VERSIONED_AGENTS as readonly string[]).includes(cap)) {
      if (!found.has(cap)) found.set(cap, new Set());
      continue;
    }
    const m = VERSIONED.exec(cap);
    if (m?.[1] !== undefined && m[2] !== undefined) {
      const set = found.get(m[1]) ?? new Set<string>();
      set.add(m[2]);
      found.set(m[1], set);
    }
  }
  return VERSIONED_AGENTS.filter((a) => found.has(a)).map((agent) => ({
    agent,
    versions: [...(found.get(agent) ?? [])].sort(),
  }));
}

/** Capabilities that are not agent names or agent versions (e.g. `linux`, `gpu`, `docker`). */
export function otherCapabilities(capabilities: readonly string[]): string[] {
  return capabilities.filter((c) => !(VERSIONED_AGENTS as readonly string[]).includes(c) && !VERSIONED.test(c));
}

/** `claude 2.1.330`, `codex` (no version known). */
export function formatAgentVersion(a: AgentVersion): string {
  return a.versions.length === 0 ? a.agent : `${a.agent} ${a.versions.join(', ')}`;
}
