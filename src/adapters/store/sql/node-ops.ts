import { CorticalError } from '../../../core/errors.js';
import type { EventType } from '../../../core/events.js';
import type { FleetNode, NodeResources, NodeScheduling } from '../../../core/node.js';
import { clampLimit, type Page, type PageRequest } from '../../../core/page.js';
import type { NodeHeartbeat, NodeRegistration } from '../../../core/ports/store.js';
import { toNum } from './numbers.js';
import { LEASED_TASK_STATES } from '../../../core/task.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { insertEvents } from './events-sql.js';
import { toJson } from './json.js';
import { findNodeRow, loadNode, loadNodeRow, nodesFromRows } from './node-row.js';
import { forUpdate, type SqlContext } from './sql-context.js';

export async function registerNode(
  ctx: SqlContext,
  input: NodeRegistration & { id: string; nowMs: number },
): Promise<FleetNode> {
  return ctx.runInTx(async (tx) => {
    if ((await findNodeRow(tx, input.id)) !== null) {
      throw new CorticalError('CONFLICT', `node ${input.id} already exists`, { nodeId: input.id });
    }
    await tx
      .insertInto('nodes')
      .values({
        id: input.id,
        name: input.name,
        capabilities: toJson(input.capabilities),
        slots: input.slots,
        liveness: 'ready',
        scheduling: 'active',
        resources: toJson(input.resources),
        version: input.version,
        joined_at: input.nowMs,
        last_heartbeat_at: input.nowMs,
      })
      .execute();
    await insertEvents(
      tx,
      [
        {
          type: 'node.joined',
          taskId: null,
          nodeId: input.id,
          data: { name: input.name, capabilities: input.capabilities, slots: input.slots, version: input.version },
        },
      ],
      input.nowMs,
    );
    return loadNode(tx, input.id);
  });
}

export async function getNode(ctx: SqlContext, id: string): Promise<FleetNode | null> {
  const row = await findNodeRow(ctx.db, id);
  if (row === null) return null;
  const [node] = await nodesFromRows(ctx.db, [row]);
  return node ?? null;
}

const NODE_STATE_NAMES = ['ready', 'lost', 'cordoned', 'draining', 'drained'] as const;

/** Ordered by name then id; `states` filters on the derived node state. */
export async function listNodes(
  ctx: SqlContext,
  filter: { states?: readonly string[] | undefined } & PageRequest,
): Promise<Page<FleetNode>> {
  const limit = clampLimit(filter.limit);
  const states = filter.states?.filter((s) => (NODE_STATE_NAMES as readonly string[]).includes(s));
  if (states !== undefined && states.length === 0) return { items: [], nextCursor: null };
  let q = ctx.db.selectFrom('nodes').selectAll('nodes');
  if (states !== undefined) {
    q = q.where((eb) => {
      const hasLeases = eb.exists(
        eb
          .selectFrom('tasks')
          .select('tasks.id')
          .whereRef('tasks.node_id', '=', 'nodes.id')
          .where('tasks.state', 'in', [...LEASED_TASK_STATES]),
      );
      const ready = eb('nodes.liveness', '=', 'ready');
      const byState = {
        ready: eb.and([ready, eb('nodes.scheduling', '=', 'active')]),
        lost: eb('nodes.liveness', '=', 'lost'),
        cordoned: eb.and([ready, eb('nodes.scheduling', '=', 'cordoned')]),
        draining: eb.and([ready, eb('nodes.scheduling', '=', 'draining'), hasLeases]),
        drained: eb.and([ready, eb('nodes.scheduling', '=', 'draining'), eb.not(hasLeases)]),
      };
      return eb.or(states.map((s) => byState[s as keyof typeof byState]));
    });
  }
  if (filter.cursor !== undefined) {
    const [name, id] = decodeCursor(filter.cursor, ['string', 'string'] as const);
    q = q.where((eb) =>
      eb.or([eb('nodes.name', '>', name), eb.and([eb('nodes.name', '=', name), eb('nodes.id', '>', id)])]),
    );
  }
  const rows = await q.orderBy('nodes.name', 'asc').orderBy('nodes.id', 'asc').limit(limit + 1).execute();
  const items = await nodesFromRows(ctx.db, rows.slice(0, limit));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor([last.name, last.id]) : null };
}

type HeartbeatInput = {
  nodeId: string;
  nowMs: number;
  resources: NodeResources;
  capabilities?: readonly string[] | undefined;
  slots?: number | undefined;
  version?: string | undefined;
};

/**
 * The hottest write of a fleet (every node, every few seconds). The usual beat (a ready node
 * whose slots and capabilities did not change) is one conditional UPDATE, atomic on its own;
 * anything else (a lost node recovering, a capacity change, an unknown node) takes the full
 * path. On PostgreSQL that path runs READ COMMITTED with the node's row locked: it writes
 * nothing that depends on other rows. A reaper that marked the node lost first is seen through
 * the lock (or makes the UPDATE's condition fail), and the node recovers; a reaper that runs
 * after it sees the fresh heartbeat.
 */
export async function heartbeatNode(ctx: SqlContext, input: HeartbeatInput): Promise<NodeHeartbeat> {
  const refresh = {
    last_heartbeat_at: input.nowMs,
    resources: toJson(input.resources),
    ...(input.version !== undefined ? { version: input.version } : {}),
  };
  let beat = ctx.db.updateTable('nodes').set(refresh).where('id', '=', input.nodeId).where('liveness', '=', 'ready');
  if (input.slots !== undefined) beat = beat.where('slots', '=', input.slots);
  if (input.capabilities !== undefined) beat = beat.where('capabilities', '=', toJson(input.capabilities));
  const row = await beat.returningAll().executeTakeFirst();
  if (row !== undefined) {
    const [node] = await nodesFromRows(ctx.db, [row]);
    if (node !== undefined) return { node, capacityChanged: false };
  }
  return ctx.runInTx(
    async (tx) => {
      const before = await forUpdate(ctx, tx.selectFrom('nodes').selectAll().where('id', '=', input.nodeId)).executeTakeFirst();
      if (before === undefined) throw new CorticalError('NODE_NOT_FOUND', `node ${input.nodeId} not found`, { nodeId: input.nodeId });
      const changes = {
        ...refresh,
        liveness: 'ready',
        ...(input.capabilities !== undefined ? { capabilities: toJson(input.capabilities) } : {}),
        ...(input.slots !== undefined ? { slots: input.slots } : {}),
      };
      await tx.updateTable('nodes').set(changes).where('id', '=', input.nodeId).execute();
      if (before.liveness === 'lost') {
        await insertEvents(tx, [{ type: 'node.recovered', taskId: null, nodeId: input.nodeId, data: {} }], input.nowMs);
      }
      const after = { ...before, ...changes };
      const [node] = await nodesFromRows(tx, [after]);
      if (node === undefined) throw new CorticalError('NODE_NOT_FOUND', `node ${input.nodeId} not found`, { nodeId: input.nodeId });
      const capacityChanged = before.liveness !== after.liveness || toNum(before.slots) !== toNum(after.slots) || before.capabilities !== after.capabilities;
      return { node, capacityChanged };
    },
    { isolation: 'read_committed' },
  );
}

const SCHEDULING_EVENTS: Readonly<Record<NodeScheduling, EventType>> = {
  active: 'node.uncordoned',
  cordoned: 'node.cordoned',
  draining: 'node.draining',
};

/** Only a change writes (and gets its event); setting the current value is a no-op. */
export async function setNodeScheduling(
  ctx: SqlContext,
  input: { nodeId: string; scheduling: NodeScheduling; nowMs: number; actor: string },
): Promise<FleetNode> {
  return ctx.runInTx(async (tx) => {
    const row = await loadNodeRow(tx, input.nodeId);
    if (row.scheduling !== input.scheduling) {
      await tx.updateTable('nodes').set({ scheduling: input.scheduling }).where('id', '=', input.nodeId).execute();
      await insertEvents(
        tx,
        [
          {
            type: SCHEDULING_EVENTS[input.scheduling],
            taskId: null,
            nodeId: input.nodeId,
            data: { actor: input.actor, from: row.scheduling, to: input.scheduling },
          },
        ],
        input.nowMs,
      );
    }
    return loadNode(tx, input.nodeId);
  });
}
