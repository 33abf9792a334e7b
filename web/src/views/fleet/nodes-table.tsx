/** The nodes table: liveness, scheduling, agents, slots, resources, current tasks, actions. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiFetch } from '../../api/client.js';
import type { NodeDto, Page, TaskDto } from '../../api/types.js';
import { agentVersions, formatAgentVersion, otherCapabilities } from '../../lib/agents.js';
import { useCursorPager } from '../../lib/cursor-pager.js';
import { PagerControls } from '../../lib/pager-controls.js';
import { formatMb, formatRelative } from '../../lib/format.js';
import { taskHref } from '../../lib/router.js';
import { useNow } from '../../lib/use-now.js';
import { ACTION_LABEL, formatCpu, nodeActions, tasksByNode, type NodeAction } from './fleet-model.js';

export const NODE_PAGE_SIZE = 50;

export function nodesPath(cursor: string | undefined): string {
  const q = new URLSearchParams({ limit: String(NODE_PAGE_SIZE) });
  if (cursor !== undefined) q.set('cursor', cursor);
  return `/api/v1/nodes?${q.toString()}`;
}

/** Tasks that hold a lease, for the "current tasks" column (one request, not one per node). */
export const ACTIVE_TASKS_PATH = '/api/v1/tasks?state=leased,running,paused&limit=500';

function NodeRow({ node, tasks, now, onAction, busy }: {
  node: NodeDto;
  tasks: TaskDto[];
  now: number;
  onAction: (a: NodeAction) => void;
  busy: boolean;
}) {
  const agents = agentVersions(node.capabilities);
  const other = otherCapabilities(node.capabilities);
  const nameId = `node-name-${node.id}`;
  return (
    <tr>
      <th scope="row" id={nameId}>
        <div>{node.name}</div>
        <div className="muted mono">{node.id}</div>
        <div className="muted">v{node.version}</div>
      </th>
      <td>
        <span className={`pill state-${node.state}`}>{node.state}</span>
        <div className="muted">
          {node.liveness}, {node.scheduling}
        </div>
      </td>
      <td>
        {agents.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <ul className="plain">
            {agents.map((a) => (
              <li key={a.agent}>{formatAgentVersion(a)}</li>
            ))}
          </ul>
        )}
      </td>
      <td>{other.length === 0 ? <span className="muted">none</span> : other.join(', ')}</td>
      <td>
        {node.activeLeases} used / {node.freeSlots} free
        <div className="muted">of {node.slots}</div>
      </td>
      <td>
        {formatCpu(node.resources)}
        <div className="muted">
          {formatMb(node.resources.memFreeMb)} free of {formatMb(node.resources.memTotalMb)}
        </div>
      </td>
      <td>
        {tasks.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <ul className="plain">
            {tasks.map((t) => (
              <li key={t.id}>
                <a href={taskHref(t.id)} className="mono">
                  {t.id}
                </a>{' '}
                <span className="muted">{t.state}</span>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        <time dateTime={new Date(node.lastHeartbeatAt).toISOString()} title={new Date(node.lastHeartbeatAt).toLocaleString()}>
          {formatRelative(node.lastHeartbeatAt, now)}
        </time>
      </td>
      <td>
        <div className="actions">
          {nodeActions(node).map((a) => (
            <button key={a} type="button" className="secondary" disabled={busy} aria-describedby={nameId} onClick={() => onAction(a)}>
              {ACTION_LABEL[a]}
            </button>
          ))}
        </div>
      </td>
    </tr>
  );
}

export function NodesTable() {
  const pager = useCursorPager();
  const qc = useQueryClient();
  const now = useNow();
  const nodes = useQuery<Page<NodeDto>>({
    queryKey: ['nodes', pager.cursor ?? null],
    queryFn: ({ signal }) => apiFetch<Page<NodeDto>>(nodesPath(pager.cursor), { signal }),
    refetchInterval: 5_000,
  });
  const active = useQuery<Page<TaskDto>>({
    queryKey: ['tasks', 'active'],
    queryFn: ({ signal }) => apiFetch<Page<TaskDto>>(ACTIVE_TASKS_PATH, { signal }),
    refetchInterval: 5_000,
  });
  const action = useMutation({
    mutationFn: ({ id, a }: { id: string; a: NodeAction }) =>
      apiFetch<NodeDto>(`/api/v1/nodes/${encodeURIComponent(id)}/${a}`, { method: 'POST' }),
    onSettled: () => qc.invalidateQueries({ queryKey: ['nodes'] }),
  });
  const byNode = tasksByNode(active.data?.items ?? []);
  const items = nodes.data?.items ?? [];
  const nextCursor = nodes.data?.nextCursor ?? null;
  return (
    <section className="card" aria-labelledby="nodes-heading">
      <h2 id="nodes-heading">Nodes</h2>
      {nodes.isError && <p className="error" role="alert">Could not load nodes: {nodes.error.message}</p>}
      {action.isError && <p className="error" role="alert">{action.error.message}</p>}
      {nodes.isPending ? (
        <p>Loading nodes…</p>
      ) : items.length === 0 ? (
        <p>No nodes have joined yet. Start one with <code>cortical node --join …</code>.</p>
      ) : (
        <div className="table-scroll" role="region" aria-labelledby="nodes-heading" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">State</th>
                <th scope="col">Agent CLIs</th>
                <th scope="col">Capabilities</th>
                <th scope="col">Slots</th>
                <th scope="col">CPU and memory</th>
                <th scope="col">Current tasks</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((n) => (
                <NodeRow
                  key={n.id}
                  node={n}
                  tasks={byNode.get(n.id) ?? []}
                  now={now}
                  busy={action.isPending && action.variables.id === n.id}
                  onAction={(a) => action.mutate({ id: n.id, a })}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <PagerControls pager={pager} nextCursor={nextCursor} />
    </section>
  );
}
