import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getToken, setToken } from './api/client.js';
import { App } from './app.js';
import { installFetchStub, type RecordedRequest } from './test/fetch-stub.js';
import { testClient } from './test/render.js';

const GOOD = 'tok_admin.secret';

function status(killOn: boolean) {
  return {
    version: '0.1.0',
    killSwitch: { on: killOn, reason: killOn ? 'runaway spend' : null, changedAt: killOn ? Date.now() : null, changedBy: killOn ? 'admin' : null },
    tasks: { running: 1, queued: 2 },
    nodes: { total: 1, ready: 1, lost: 0, freeSlots: 1 },
    today: { date: '2026-11-21', succeeded: 0, failed: 1, usd: 3.5, tokens: 10 },
    burnRateUsdPerHour: 1.25,
  };
}

function authed(req: RecordedRequest): boolean {
  return req.headers.get('authorization') === `Bearer ${GOOD}`;
}

const unauthenticated = { status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'unknown token' } } };

function stubApi(killOn = false) {
  return installFetchStub({
    'GET /api/v1/status': (req) => (authed(req) ? { body: status(killOn) } : unauthenticated),
    'GET /api/v1/usage/hourly': () => ({ body: { items: [] } }),
    'GET /api/v1/nodes': () => ({ body: { items: [], nextCursor: null } }),
    'GET /api/v1/tasks': () => ({ body: { items: [], nextCursor: null } }),
    'GET /api/v1/audit': () => ({ body: { items: [], nextBefore: null } }),
  });
}

afterEach(() => vi.unstubAllGlobals());

describe('login', () => {
  it('rejects a bad token with a message and accepts a good one', async () => {
    const api = stubApi();
    render(<App client={testClient()} />);
    fireEvent.change(screen.getByLabelText('API token'), { target: { value: 'tok_x.wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('not accepted');
    expect(getToken()).toBeNull();

    fireEvent.change(screen.getByLabelText('API token'), { target: { value: ` ${GOOD} ` } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('button', { name: 'Log out' })).toBeTruthy();
    expect(getToken()).toBe(GOOD);
    for (const name of ['Fleet', 'Tasks', 'Chat', 'Audit']) expect(screen.getByRole('link', { name }).getAttribute('href')).toBe(`#/${name.toLowerCase()}`);
    // The fleet view shows the day's totals from /status.
    expect(await screen.findByText('$3.50')).toBeTruthy();
    expect(screen.getByText('$1.25/h')).toBeTruthy();
    const paths = api.requests.map((r) => r.path.split('?')[0]);
    expect(new Set(paths)).toEqual(new Set(['/api/v1/status', '/api/v1/usage/hourly', '/api/v1/nodes', '/api/v1/tasks']));
  });

  it('logs out, and a 401 later returns to the login screen', async () => {
    stubApi();
    setToken(GOOD);
    render(<App client={testClient()} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Log out' }));
    expect(await screen.findByLabelText('API token')).toBeTruthy();
    expect(getToken()).toBeNull();

    setToken('tok_revoked.x');
    expect(await screen.findByLabelText('API token')).toBeTruthy();
    await waitFor(() => expect(getToken()).toBeNull());
  });
});

describe('kill switch banner', () => {
  it('is shown on every page while the switch is on', async () => {
    stubApi(true);
    setToken(GOOD);
    window.location.hash = '#/audit';
    render(<App client={testClient()} />);
    const banner = await screen.findByRole('alert');
    expect(banner.textContent).toContain('Kill switch is ON');
    expect(banner.textContent).toContain('runaway spend');
    expect(screen.getByRole('link', { name: 'Audit' }).getAttribute('aria-current')).toBe('page');
  });
});
