import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NodeDto } from '../../api/types.js';
import { installFetchStub } from '../../test/fetch-stub.js';
import { renderWithClient } from '../../test/render.js';
import { FleetView } from './fleet-view.js';

function node(i: number, over: Partial<NodeDto> = {}): NodeDto {
  return {
    id: `node_${i}`,
    name: `box-${i}`,
    capabilities: ['linux', 'claude', 'claude-2.1.330', 'codex-0.169.0'],
    slots: 4,
    activeLeases: 1,
    freeSlots: 3,
    liveness: 'ready',
    scheduling: 'active',
    state: 'ready',
    resources: { cpuCount: 8, loadAvg1: 1.5, memTotalMb: 16_384, memFreeMb: 8192 },
    version: '0.1.0',
    joinedAt: Date.now() - 3_600_000,
    lastHeartbeatAt: Date.now() - 90_000,
    ...over,
  };
}

function stub(killOn = false) {
  let scheduling: NodeDto['scheduling'] = 'active';
  let ks = { on: killOn, reason: killOn ? 'maintenance' : null, changedAt: null, changedBy: null };
  const api = installFetchStub({
    'GET /api/v1/status': () => ({
      body: { version: '0.1.0', killSwitch: ks, tasks: { running: 2 }, nodes: { total: 51, ready: 51, lost: 0, freeSlots: 3 }, today: { date: 'x', succeeded: 1, failed: 0, usd: 0.5, tokens: 1 }, burnRateUsdPerHour: 0.1 },
    }),
    'GET /api/v1/usage/hourly': () => ({ body: { items: [{ hour: 0, usd: 0.25, tokens: 5 }, { hour: 3_600_000, usd: 1, tokens: 9 }] } }),
    'GET /api/v1/nodes?limit=50&cursor=c2': () => ({ body: { items: [node(51)], nextCursor: null } }),
    'GET /api/v1/nodes': () => ({ body: { items: [node(1, { scheduling, state: scheduling === 'active' ? 'ready' : 'cordoned' })], nextCursor: 'c2' } }),
    'GET /api/v1/tasks': () => ({ body: { items: [{ id: 'task_a', state: 'running', nodeId: 'node_1' }], nextCursor: null } }),
    'POST /api/v1/nodes/node_1/cordon': () => {
      scheduling = 'cordoned';
      return { body: node(1, { scheduling }) };
    },
    'PUT /api/v1/killswitch': (req) => {
      const b = req.body as { on: boolean; reason: string | null };
      ks = { ...ks, on: b.on, reason: b.reason };
      return { body: ks };
    },
  });
  return api;
}

afterEach(() => vi.unstubAllGlobals());

describe('FleetView', () => {
  it('shows totals, spend, nodes with agent versions and current tasks, and pages', async () => {
    const api = stub();
    renderWithClient(<FleetView />);
    const totals = await screen.findByLabelText('Fleet totals');
    expect(totals.textContent).toContain('Spend today$0.50');
    expect(totals.textContent).toContain('Burn rate$0.10/h');
    expect(await screen.findByText('Total $1.25, peak hour $1.00')).toBeTruthy();
    const row = (await screen.findByText('box-1')).closest('tr')!;
    expect(row.textContent).toContain('claude 2.1.330');
    expect(row.textContent).toContain('codex 0.169.0');
    expect(row.textContent).toContain('1 used / 3 free');
    expect(row.textContent).toContain('8 CPUs, load 1.50');
    expect(row.textContent).toContain('8.0 GB free of 16.0 GB');
    expect(row.textContent).toContain('1 min ago');
    expect(within(row).getByRole('link', { name: 'task_a' }).getAttribute('href')).toBe('#/tasks/task_a');
    // One request for the current tasks of all nodes, not one per node.
    expect(api.requests.filter((r) => r.path.startsWith('/api/v1/tasks')).map((r) => r.path)).toEqual(['/api/v1/tasks?state=leased,running,paused&limit=500']);

    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('box-51')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Next' }).hasAttribute('disabled')).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Previous' }));
    expect(await screen.findByText('box-1')).toBeTruthy();
  });

  it('cordons a node and then offers Uncordon', async () => {
    const api = stub();
    renderWithClient(<FleetView />);
    await screen.findByText('box-1');
    expect(screen.queryByRole('button', { name: 'Uncordon' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Cordon' }));
    expect(await screen.findByRole('button', { name: 'Uncordon' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Cordon' })).toBeNull();
    expect(api.requests.some((r) => r.method === 'POST' && r.path === '/api/v1/nodes/node_1/cordon')).toBe(true);
  });

  it('turns the kill switch on with a reason after confirmation, and Cancel sends nothing', async () => {
    const api = stub();
    renderWithClient(<FleetView />);
    await screen.findByText('box-1');
    fireEvent.click(screen.getByRole('button', { name: 'Kill switch' }));
    let dialog = screen.getByRole('dialog', { name: 'Turn the kill switch on?' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(within(dialog).getByLabelText('Reason (optional)'));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Kill switch' }));
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Kill switch' }));
    expect(api.requests.some((r) => r.method === 'PUT')).toBe(false);

    fireEvent.click(screen.getByRole('button', { name: 'Kill switch' }));
    dialog = screen.getByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Reason (optional)'), { target: { value: 'runaway loop' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Turn on' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.requests.find((r) => r.method === 'PUT')?.body).toEqual({ on: true, reason: 'runaway loop' });

    // Turning it off is confirmed too.
    fireEvent.click(screen.getByRole('button', { name: 'Kill switch' }));
    dialog = await screen.findByRole('dialog', { name: 'Turn the kill switch off?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Turn off' }));
    await waitFor(() => expect(api.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([{ on: true, reason: 'runaway loop' }, { on: false, reason: null }]));
  });
});
