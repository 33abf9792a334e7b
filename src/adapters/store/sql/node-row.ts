import type { Selectable } from 'kysely';
import { CorticalError } from '../../../core/errors.js';
import type { FleetNode, NodeLiveness, NodeResources, NodeScheduling } from '../../../core/node.js';
import { LEASED_TASK_STATES } from '../../../core/task.js';
import type { NodesTable } from './database.js';
import { parseJson } from './json.js';
import { toNum } from './numbers.js';
import type { Db } from './sql-context.js';

export type NodeRow = Selectable<NodesTable>;

export function nodeFromRow(row: NodeRow, activeLeases: number): FleetNode {
  return {
    id: row.id,
    name: row.name,
    capabilities: parseJson<string[]>(row.capabilities, 'nodes.capabilities'),
    slots: toNum(row.slots),
    activeLeases,
    liveness: row.liveness as NodeLiveness,
    scheduling: row.scheduling as NodeScheduling,
    resources: parseJson<NodeResources>(row.resources, 'nodes.resources'),
    version: row.version,
    joinedAt: toNum(row.joined_at),
    lastHeartbeatAt: toNum(row.last_heartbeat_at),
  };
}

/**
 * Leases held per node (tasks leased, running or paused), for the given nodes in one grouped
 * query over the (node_id, state) index.
 */
export async function activeLeaseCounts(db: Db, nodeIds: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (nodeIds.length === 0) return counts;
  const rows = await db
    .selectFrom('tasks')
    .select((eb) => ['node_id', eb.fn.countAll().as('n')])
    .where('node_id', 'in', [...new Set(nodeIds)])
    .where('state', 'in', [...LEASED_TASK_STATES])
    .groupBy('node_id')
    .execute();
  for (const row of rows) if (row.node_id !== null) counts.set(row.node_id, toNum(row.n));
  return counts;
}

export async function nodesFromRows(db: Db, rows: readonly NodeRow[]): Promise<FleetNode[]> {
  const counts = await activeLeaseCounts(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => nodeFromRow(r, counts.get(r.id) ?? 0));
}

export async function findNodeRow(db: Db, id: string): Promise<NodeRow | null> {
  return (await db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function loadNodeRow(db: Db, id: string): Promise<NodeRow> {
  const row = await findNodeRow(db, id);
  if (row === null) throw new CorticalError('NODE_NOT_FOUND', `node ${id} not found`, { nodeId: id });
  return row;
}

export async function loadNode(db: Db, id: string): Promise<FleetNode> {
  const [node] = await nodesFromRows(db, [await loadNodeRow(db, id)]);
  if (node === undefined) throw new CorticalError('NODE_NOT_FOUND', `node ${id} not found`, { nodeId: id });
  return node;
}
