/**
 * The dashboard with a large fleet in the store: 1,000 nodes and 10,000 tasks seeded into the
 * HQ's SQLite database before `cortical hq` starts on it. The fleet and task views must render
 * (paginated) and page through within the test's normal timeout; the times are printed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { makeSpec, nodeRegistration } from '../../src/adapters/store/contract/contract-fixtures.js';
import { api, baseEnv, CorticalDaemon, eventually, tempDir } from '../e2e/cortical-process.js';
import { ensureWebBuilt, launchChromium, logIn, openPage, screenshot } from './browser-kit.js';

const NODES = 1_000;
const TASKS = 10_000;

let root: { path: string; remove(): Promise<void> };
let hq: CorticalDaemon;
let url: string;
let adminToken: string;
let browser: Browser;

beforeAll(async () => {
  await ensureWebBuilt();
  root = await tempDir('web-scale');
  const home = join(root.path, 'hq');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const store = await SqliteStore.create(join(home, 'cortical.db'));
  await store.migrate();
  const now = Date.now();
  for (let i = 0; i < NODES; i += 1) {
    const name = `node-${String(i).padStart(4, '0')}`;
    await store.registerNode({ ...nodeRegistration({ name, capabilities: ['shell', i % 10 === 0 ? 'gpu' : 'cpu', 'claude', 'claude-2.1.330'], slots: 4 }), id: `node_seed${String(i).padStart(5, '0')}`, nowMs: now });
  }
  for (let i = 0; i < TASKS; i += 1) {
    // requirements no seeded node has, so the queue stays put while the page is read
    await store.createTask({ id: `task_seed${String(i).padStart(6, '0')}`, spec: makeSpec({ prompt: `seeded task ${i}`, requires: ['nowhere'], project: `p${i % 20}` }), nowMs: now + i, actor: 'seed' });
  }
  await store.close();
  const env = baseEnv({ CORTICAL_HOME: home, CORTICAL_NODE_LOST_AFTER_MS: '3600000' });
  hq = new CorticalDaemon(['hq', '--port', '0'], env);
  url = (await hq.waitFor(/(http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  adminToken = await eventually('admin token', async () => (await readFile(join(home, 'admin.token'), 'utf8').catch(() => '')).trim() || undefined);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await hq?.stop();
  await root?.remove();
});

describe('dashboard with 1,000 nodes and 10,000 tasks', () => {
  it('the fleet and tasks views render a page at a time and page on without freezing', async () => {
    const status = (await api(url, adminToken, 'GET', '/api/v1/status')).json as { nodes: { total: number }; tasks: { queued: number } };
    expect(status.nodes.total).toBe(NODES);
    expect(status.tasks.queued).toBe(TASKS);
    const { page, record } = await openPage(browser, url);
    const t0 = Date.now();
    await logIn(page, url, adminToken);
    await page.goto(`${url}/#/fleet`);
    await page.getByText('node-0000', { exact: true }).first().waitFor();
    const fleetMs = Date.now() - t0;
    await page.getByText('claude 2.1.330').first().waitFor(); // agent CLIs and versions from capabilities
    const nodeRows = await page.locator('tbody tr').count();
    expect(nodeRows).toBeGreaterThan(0);
    expect(nodeRows).toBeLessThanOrEqual(100); // paginated, not 1,000 rows
    await page.getByRole('button', { name: 'Next' }).first().click();
    await page.getByText('node-0050', { exact: true }).first().waitFor();
    await screenshot(page, 'scale-fleet-desktop');

    const t1 = Date.now();
    await page.goto(`${url}/#/tasks`);
    await page.getByText(/seeded task 9999/).first().waitFor();
    const tasksMs = Date.now() - t1;
    const taskRows = await page.locator('tbody tr').count();
    expect(taskRows).toBeGreaterThan(0);
    expect(taskRows).toBeLessThanOrEqual(100);
    await page.getByRole('button', { name: 'Next' }).first().click();
    await page.getByText(/seeded task 9949\b/).first().waitFor();
    // the main thread stays responsive: a trivial evaluation answers at once
    const t2 = Date.now();
    await page.evaluate(() => 1 + 1);
    const evalMs = Date.now() - t2;
    await screenshot(page, 'scale-tasks-desktop');
    console.log(`dashboard scale: fleet view ${fleetMs} ms, tasks view ${tasksMs} ms, evaluate ${evalMs} ms (${NODES} nodes, ${TASKS} tasks)`);
    expect(record.errors).toEqual([]);
  }, 120_000);
});
