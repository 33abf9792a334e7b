/**
 * What a node must advertise to run a task: the spec's `requires` plus its agent (nodes advertise
 * the agents they can run as capabilities). `shell` and `script` are built into every node, older
 * ones included, so they add nothing.
 */
export const BUILT_IN_AGENTS: readonly string[] = ['shell', 'script'];

export function taskRequirements(requires: readonly string[], agent: string): readonly string[] {
  if (BUILT_IN_AGENTS.includes(agent) || requires.includes(agent)) return requires;
  return [...requires, agent];
}
