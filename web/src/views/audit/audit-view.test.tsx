import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditEntryDto } from '../../api/types.js';
import { installFetchStub } from '../../test/fetch-stub.js';
import { renderWithClient } from '../../test/render.js';
import { AuditView } from './audit-view.js';

function entries(from: number, to: number): AuditEntryDto[] {
  const out: AuditEntryDto[] = [];
  for (let s = from; s >= to; s--) out.push({ seq: s, at: 1_700_000_000_000 + s, type: 'task.created', actor: 'admin', taskId: `task_${s}`, nodeId: null, summary: `entry ${s}`, data: {} });
  return out;
}

afterEach(() => vi.unstubAllGlobals());

describe('AuditView', () => {
  it('pages older and newer with before, and filters by type and actor', async () => {
    const api = installFetchStub({
      'GET /api/v1/audit?before=51': () => ({ body: { items: entries(50, 1), nextBefore: null } }),
      'GET /api/v1/audit?limit=50&type=': () => ({ body: { items: entries(3, 3), nextBefore: null } }),
      'GET /api/v1/audit': () => ({ body: { items: entries(100, 51), nextBefore: 51 } }),
    });
    renderWithClient(<AuditView />);
    expect(await screen.findByText('entry 100')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'task_100' }).getAttribute('href')).toBe('#/tasks/task_100');
    expect(screen.getByRole('button', { name: 'Newer' }).hasAttribute('disabled')).toBe(true);

    fireEvent.click(screen.getByRole('button', { name: 'Older' }));
    expect(await screen.findByText('entry 50')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Older' }).hasAttribute('disabled')).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Newer' }));
    expect(await screen.findByText('entry 100')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Type'), { target: { value: 'killswitch.changed' } });
    fireEvent.change(screen.getByLabelText('Actor'), { target: { value: 'ops' } });
    expect(await screen.findByText('entry 3', {}, { timeout: 5000 })).toBeTruthy();
    await waitFor(() => expect(api.requests.map((r) => r.path)).toContain('/api/v1/audit?limit=50&type=killswitch.changed&actor=ops'));
    expect(api.requests.map((r) => r.path).slice(0, 3)).toEqual(['/api/v1/audit?limit=50', '/api/v1/audit?before=51&limit=50', '/api/v1/audit?limit=50']);
  });
});
