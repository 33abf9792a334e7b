import type { StoredEvent } from '../../core/events.js';
import { freeSlots, nodeState, type FleetNode } from '../../core/node.js';
import type { LogLine } from '../../core/ports/store.js';
import type { Guidance, Task } from '../../core/task.js';
import type { NodeCommand } from '../../core/node-command.js';
import type { NodeCommandDto } from '../../contract/node-command-schemas.js';
import type { NodeDto } from '../../contract/node-schemas.js';
import type { TaskDto } from '../../contract/task-schemas.js';

/** Domain values → wire shapes (plain, mutable JSON objects). */
export function toTaskDto(t: Task): TaskDto {
  const s = t.spec;
  return {
    id: t.id,
    spec: {
      prompt: s.prompt,
      agent: s.agent,
      mode: s.mode,
      requires: [...s.requires],
      repo: s.repo === null ? null : { path: s.repo.path, baseRef: s.repo.baseRef },
      until: s.until,
      guardrails: { ...s.guardrails },
      priority: s.priority,
      maxAttempts: s.maxAttempts,
      retryBackoffMs: s.retryBackoffMs,
      labels: { ...s.labels },
      ...(s.tier === undefined ? {} : { tier: s.tier }),
      project: s.project ?? 'default',
      model: s.model ?? null,
      fallbacks: (s.fallbacks ?? []).map((f) => ({ agent: f.agent, model: f.model })),
      ...(s.pipeline === undefined
        ? {}
        : {
            pipeline: {
              targetBranch: s.pipeline.targetBranch,
              checks: s.pipeline.checks.map((c) => ({ name: c.name, command: c.command, ...(c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs }) })),
            },
          }),
      // The sleeve's network policy and limits: nodes read them from the leases they receive.
      ...(s.sandbox === undefined
        ? {}
        : { sandbox: { network: { mode: s.sandbox.network.mode, allow: [...s.sandbox.network.allow] }, limits: { ...s.sandbox.limits } } }),
    },
    state: t.state,
    reason: t.reason,
    message: t.message,
    desired: t.desired,
    attempts: t.attempts,
    fencingToken: t.fencingToken,
    nodeId: t.nodeId,
    leaseExpiresAt: t.leaseExpiresAt,
    notBefore: t.notBefore,
    usage: { ...t.usage },
    runtimeMs: t.runtimeMs,
    workspacePath: t.workspacePath,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
  };
}

export function toNodeDto(n: FleetNode): NodeDto {
  return {
    id: n.id,
    name: n.name,
    capabilities: [...n.capabilities],
    slots: n.slots,
    activeLeases: n.activeLeases,
    freeSlots: freeSlots(n),
    liveness: n.liveness,
    scheduling: n.scheduling,
    state: nodeState(n),
    resources: { ...n.resources },
    version: n.version,
    joinedAt: n.joinedAt,
    lastHeartbeatAt: n.lastHeartbeatAt,
  };
}

export function toGuidanceDto(g: Guidance): Guidance {
  // deliveryMode: null until a node reports the guidance delivered
  return { ...g, deliveryMode: g.deliveryMode ?? null };
}

export function toEventDto(e: StoredEvent): {
  seq: number;
  at: number;
  type: string;
  taskId: string | null;
  nodeId: string | null;
  data: Record<string, unknown>;
} {
  return { seq: e.seq, at: e.at, type: e.type, taskId: e.taskId, nodeId: e.nodeId, data: { ...e.data } };
}

export function toLogLineDto(l: LogLine): LogLine {
  return { ...l };
}

export function toNodeCommandDto(c: NodeCommand): NodeCommandDto {
  return { ...c, args: { ...c.args }, result: c.result === null ? null : { ...c.result } };
}
