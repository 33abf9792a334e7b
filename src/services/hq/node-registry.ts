import type { NodeIdentity } from '../../core/ports/hq-link.js';
import type { Principal } from '../../core/auth.js';
import { CorticalError, TerminalError } from '../../core/errors.js';
import type { FleetNode, NodeResources, NodeScheduling } from '../../core/node.js';
import { MAX_COMMANDS_PER_HEARTBEAT, type NodeCommand } from '../../core/node-command.js';
import type { Page, PageRequest } from '../../core/page.js';
import type { Task } from '../../core/task.js';
import type { AuthService } from './auth-service.js';
import type { HqDeps } from './hq-deps.js';
import { notify } from './notify.js';

export interface JoinInput {
  readonly joinToken: string;
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly slots: number;
  readonly resources: NodeResources;
  readonly version: string;
}

/** What a node receives on join and on refresh. */
export type NodeCredentials = NodeIdentity;

export interface HeartbeatInput {
  readonly resources: NodeResources;
  readonly capabilities?: readonly string[] | undefined;
  readonly slots?: number | undefined;
  readonly version?: string | undefined;
}

export interface HeartbeatResult {
  readonly node: FleetNode;
  readonly killSwitch: boolean;
  /** The fleet lockdown: while on, nodes refuse every T2 and T3 tool call. */
  readonly lockdown: boolean;
  readonly leases: readonly Task[];
  /** Pending workspace commands (snapshot, revert, list), oldest first. */
  readonly commands: readonly NodeCommand[];
}

const NODE_STATE_FILTERS = ['ready', 'lost', 'cordoned', 'draining', 'drained'] as const;

/** Nodes: join with a join token, credential refresh, heartbeats, cordon / drain / uncordon. */
export class NodeRegistry {
  constructor(
    private readonly deps: HqDeps,
    private readonly auth: AuthService,
  ) {}

  /** Verify and consume the join token, register the node, issue its credentials. */
  async join(input: JoinInput): Promise<NodeCredentials> {
    const now = this.deps.clock.nowMs();
    const record = await this.auth.verifyPresented(input.joinToken);
    if (record === null || record.kind !== 'join') {
      throw new TerminalError('JOIN_TOKEN_INVALID', 'join token is unknown or malformed');
    }
    if (record.revokedAt !== null) throw new TerminalError('JOIN_TOKEN_INVALID', 'join token revoked');
    if (record.expiresAt !== null && record.expiresAt <= now) {
      throw new TerminalError('JOIN_TOKEN_INVALID', 'join token expired', { expiresAt: record.expiresAt });
    }
    if (record.singleUse && record.usedAt !== null) {
      throw new TerminalError('JOIN_TOKEN_INVALID', 'single-use join token already used');
    }
    await this.deps.store.consumeJoinToken({ id: record.id, secretHash: record.secretHash, nowMs: now });
    const node = await this.deps.store.registerNode({
      id: this.deps.ids.newId('node'),
      name: input.name,
      capabilities: input.capabilities,
      slots: input.slots,
      resources: input.resources,
      version: input.version,
      nowMs: now,
    });
    const credentials = await this.issueCredentials(node.id, now);
    this.deps.logger.info({ nodeId: node.id, name: node.name, joinTokenId: record.id }, 'node joined');
    await notify(this.deps, ['nodes.changed'], { nodeId: node.id });
    return credentials;
  }

  /**
   * Trade a refresh token for new credentials. The refresh token is rotated: the presented one is
   * revoked and a new one issued with a new access token.
   */
  async refresh(input: { nodeId: string; refreshToken: string }): Promise<NodeCredentials> {
    const now = this.deps.clock.nowMs();
    const record = await this.auth.verifyPresented(input.refreshToken);
    if (record === null || record.kind !== 'node_refresh' || record.nodeId !== input.nodeId) {
      throw new TerminalError('UNAUTHENTICATED', 'refresh token is unknown or does not belong to this node');
    }
    if (record.revokedAt !== null) throw new TerminalError('UNAUTHENTICATED', 'refresh token revoked (already used)');
    if (record.expiresAt !== null && record.expiresAt <= now) {
      throw new TerminalError('TOKEN_EXPIRED', 'refresh token expired', { expiresAt: record.expiresAt });
    }
    const node = await this.deps.store.getNode(input.nodeId);
    if (node === null) throw new TerminalError('UNAUTHENTICATED', 'refresh token belongs to an unknown node');
    // Rotation: the presented refresh token is spent before new credentials are issued.
    await this.deps.store.revokeToken({ id: record.id, nowMs: now, actor: `node:${node.id}` });
    return this.issueCredentials(node.id, now);
  }

  /** A node reports in: liveness, resources; it learns its leases, the kill switch and the lockdown. */
  async heartbeat(principal: Principal, nodeId: string, input: HeartbeatInput): Promise<HeartbeatResult> {
    assertSelf(principal, nodeId);
    const { node, capacityChanged } = await this.deps.store.heartbeatNode({
      nodeId,
      nowMs: this.deps.clock.nowMs(),
      resources: input.resources,
      capabilities: input.capabilities,
      slots: input.slots,
      version: input.version,
    });
    const [leases, { killSwitch, lockdown }, commands] = await Promise.all([
      this.deps.store.listNodeLeases(nodeId),
      this.deps.store.getFleetSwitches(),
      this.deps.store.takeNodeCommands({ nodeId, limit: MAX_COMMANDS_PER_HEARTBEAT, nowMs: this.deps.clock.nowMs() }),
    ]);
    if (capacityChanged) await notify(this.deps, ['nodes.changed'], { nodeId });
    return { node, killSwitch: killSwitch.on, lockdown: lockdown.on, leases, commands };
  }

  async get(nodeId: string): Promise<FleetNode> {
    const node = await this.deps.store.getNode(nodeId);
    if (node === null) throw new CorticalError('NODE_NOT_FOUND', `node ${nodeId} not found`, { nodeId });
    return node;
  }

  /** `states`: derived node states (ready, lost, cordoned, draining, drained). */
  async list(filter: { states?: readonly string[] | undefined } & PageRequest): Promise<Page<FleetNode>> {
    for (const s of filter.states ?? []) {
      if (!(NODE_STATE_FILTERS as readonly string[]).includes(s)) {
        throw new TerminalError('VALIDATION_FAILED', `unknown node state '${s}'; accepted: ${NODE_STATE_FILTERS.join(', ')}`, {
          field: 'state',
        });
      }
    }
    return this.deps.store.listNodes(filter);
  }

  cordon(nodeId: string, actor: string): Promise<FleetNode> {
    return this.setScheduling(nodeId, 'cordoned', actor);
  }

  drain(nodeId: string, actor: string): Promise<FleetNode> {
    return this.setScheduling(nodeId, 'draining', actor);
  }

  uncordon(nodeId: string, actor: string): Promise<FleetNode> {
    return this.setScheduling(nodeId, 'active', actor);
  }

  private async setScheduling(nodeId: string, scheduling: NodeScheduling, actor: string): Promise<FleetNode> {
    const node = await this.deps.store.setNodeScheduling({ nodeId, scheduling, nowMs: this.deps.clock.nowMs(), actor });
    await notify(this.deps, ['nodes.changed'], { nodeId });
    return node;
  }

  private async issueCredentials(nodeId: string, now: number): Promise<NodeCredentials> {
    const access = await this.auth.issue({
      kind: 'node_access',
      role: 'node',
      nodeId,
      label: null,
      expiresAt: now + this.deps.config.nodeAccessTtlMs,
      singleUse: false,
      actor: `node:${nodeId}`,
    });
    const refresh = await this.auth.issue({
      kind: 'node_refresh',
      role: 'node',
      nodeId,
      label: null,
      expiresAt: null,
      singleUse: false,
      actor: `node:${nodeId}`,
    });
    return {
      nodeId,
      accessToken: access.token,
      accessExpiresAt: now + this.deps.config.nodeAccessTtlMs,
      refreshToken: refresh.token,
      leaseTtlMs: this.deps.config.leaseTtlMs,
      heartbeatIntervalMs: this.deps.config.heartbeatIntervalMs,
    };
  }
}

/** A node credential may only act as its own node. */
export function assertSelf(principal: Principal, nodeId: string): void {
  if (principal.nodeId === null) {
    throw new TerminalError('FORBIDDEN', 'this call needs a node credential');
  }
  if (principal.nodeId !== nodeId) {
    throw new TerminalError('FORBIDDEN', `a node credential may act only for its own node (${principal.nodeId})`, {
      nodeId,
    });
  }
}

