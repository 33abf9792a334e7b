/** Paths of the HQ API, shared by server and clients. */
export const API_PREFIX = '/api/v1';

export const routes = {
  healthz: '/healthz',
  openapi: `${API_PREFIX}/openapi.json`,
  status: `${API_PREFIX}/status`,
  tasks: `${API_PREFIX}/tasks`,
  task: (id: string) => `${API_PREFIX}/tasks/${encodeURIComponent(id)}`,
  taskEvents: (id: string) => `${API_PREFIX}/tasks/${encodeURIComponent(id)}/events`,
  taskLogs: (id: string) => `${API_PREFIX}/tasks/${encodeURIComponent(id)}/logs`,
  taskGuidance: (id: string) => `${API_PREFIX}/tasks/${encodeURIComponent(id)}/guidance`,
  taskDiff: (id: string) => `${API_PREFIX}/tasks/${encodeURIComponent(id)}/diff`,
  taskControl: (id: string, action: 'pause' | 'resume' | 'stop' | 'guide' | 'resleeve') =>
    `${API_PREFIX}/tasks/${encodeURIComponent(id)}/${action}`,
  nodes: `${API_PREFIX}/nodes`,
  node: (id: string) => `${API_PREFIX}/nodes/${encodeURIComponent(id)}`,
  nodeAction: (id: string, action: 'cordon' | 'drain' | 'uncordon') =>
    `${API_PREFIX}/nodes/${encodeURIComponent(id)}/${action}`,
  nodeJoin: `${API_PREFIX}/nodes/join`,
  nodeCredential: (id: string) => `${API_PREFIX}/nodes/${encodeURIComponent(id)}/credential`,
  nodeHeartbeat: (id: string) => `${API_PREFIX}/nodes/${encodeURIComponent(id)}/heartbeat`,
  lease: (taskId: string, op: 'start' | 'renew' | 'progress' | 'complete' | 'credential') =>
    `${API_PREFIX}/leases/${encodeURIComponent(taskId)}/${op}`,
  taskSnapshots: (id: string) => `${API_PREFIX}/tasks/${encodeURIComponent(id)}/snapshots`,
  taskRevert: (id: string, snapshotId: string) =>
    `${API_PREFIX}/tasks/${encodeURIComponent(id)}/snapshots/${encodeURIComponent(snapshotId)}/revert`,
  command: (id: string) => `${API_PREFIX}/commands/${encodeURIComponent(id)}`,
  nodeCommandResult: (nodeId: string, commandId: string) =>
    `${API_PREFIX}/nodes/${encodeURIComponent(nodeId)}/commands/${encodeURIComponent(commandId)}/result`,
  killswitch: `${API_PREFIX}/killswitch`,
  events: `${API_PREFIX}/events`,
  tokens: `${API_PREFIX}/tokens`,
  token: (id: string) => `${API_PREFIX}/tokens/${encodeURIComponent(id)}`,
  plans: `${API_PREFIX}/plans`,
} as const;

/**
 * Token wire format: `<tokenId>.<secret>` (the id is public, only sha256(secret) is stored).
 * Sent as `Authorization: Bearer <token>`.
 */
export function parseBearerToken(token: string): { id: string; secret: string } | null {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot === token.length - 1) return null;
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  if (!/^tok_[A-Za-z0-9_-]{1,64}$/.test(id) || !/^[A-Za-z0-9_-]{16,128}$/.test(secret)) return null;
  return { id, secret };
}
