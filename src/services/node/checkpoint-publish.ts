import type { PreparedWorkspace, WorkspaceRequest, Workspaces } from '../../core/ports/workspace.js';

/**
 * After an iteration: checkpoints the task branch and pushes it (through HQ). The outcome goes to
 * the task's log; a failure is only logged, and the next iteration tries again.
 */
export async function publishCheckpoint(
  workspaces: Pick<Workspaces, 'publish'>,
  ws: PreparedWorkspace,
  request: WorkspaceRequest,
  iteration: number,
  log: (text: string) => void,
): Promise<void> {
  const r = await workspaces.publish(ws, request, `cortical: checkpoint after iteration ${iteration}`);
  if (r.error !== null) log(`could not publish ${ws.branch ?? ''}: ${r.error}`);
  else if (r.commit !== null) log(`published ${ws.branch ?? ''} at ${r.commit.slice(0, 12)}${r.committed ? ' (checkpoint commit)' : ''}`);
}
