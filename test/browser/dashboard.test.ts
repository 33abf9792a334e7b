/**
 * The web dashboard in a real browser (Debian's Chromium via playwright-core) against a real HQ
 * (`cortical hq`) with two real nodes (`cortical node`, bubblewrap sleeves where available).
 * Screenshots of every view at desktop and phone widths go to `test-output/screenshots/`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, baseEnv, CorticalDaemon, corticalJson, eventually, tempDir } from '../e2e/cortical-process.js';
import { DESKTOP, ensureWebBuilt, launchChromium, logIn, openPage, PHONE, screenshot, undocumentedCalls, type PageRecord } from './browser-kit.js';

type Task = { id: string; state: string; reason: string | null };

let root: { path: string; remove(): Promise<void> };
let hq: CorticalDaemon;
let hqEnv: NodeJS.ProcessEnv;
const nodes: CorticalDaemon[] = [];
let url: string;
let adminToken: string;
let browser: Browser;
const records: PageRecord[] = [];
const contexts: BrowserContext[] = [];

async function createTask(body: Record<string, unknown>): Promise<Task> {
  const r = await api(url, adminToken, 'POST', '/api/v1/tasks', body);
  if (r.status !== 201) throw new Error(`create task: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json as Task;
}

async function taskState(id: string): Promise<Task> {
  return (await api(url, adminToken, 'GET', `/api/v1/tasks/${id}`)).json as Task;
}

async function waitState(id: string, states: readonly string[], timeoutMs = 30_000): Promise<Task> {
  return eventually(`task ${id} in ${states.join('|')}`, async () => {
    const t = await taskState(id);
    return states.includes(t.state) ? t : undefined;
  }, timeoutMs);
}

async function stopTask(id: string): Promise<void> {
  await api(url, adminToken, 'POST', `/api/v1/tasks/${id}/stop`, {});
  await waitState(id, ['cancelled', 'succeeded', 'failed']);
}

/** A new page, its requests and console errors recorded, closed before HQ is restarted. */
async function fresh(viewport: { width: number; height: number } = DESKTOP): Promise<{ page: Page; record: PageRecord }> {
  const { context, page, record } = await openPage(browser, url, viewport);
  records.push(record);
  contexts.push(context);
  return { page, record };
}

async function loggedIn(viewport: { width: number; height: number } = DESKTOP): Promise<Page> {
  const { page } = await fresh(viewport);
  await logIn(page, url, adminToken);
  return page;
}

beforeAll(async () => {
  await ensureWebBuilt();
  root = await tempDir('web');
  let env = baseEnv({ CORTICAL_HOME: join(root.path, 'hq') });
  hqEnv = env;
  hq = new CorticalDaemon(['hq', '--port', '0'], env);
  url = (await hq.waitFor(/(http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  adminToken = await eventually('admin token', async () => (await readFile(join(root.path, 'hq', 'admin.token'), 'utf8').catch(() => '')).trim() || undefined);
  env = { ...env, CORTICAL_HQ: url, CORTICAL_TOKEN: adminToken };
  const joinToken = (await corticalJson<{ token: string }>(['token', 'create', '--role', 'node', '--ttl', '1h'], env)).token;
  for (const name of ['alpha', 'beta']) {
    nodes.push(new CorticalDaemon(['node', '--hq', url, '--join-token', joinToken, '--name', name, '--capabilities', `${name},web-test`, '--slots', '2', '--work-dir', join(root.path, name)], env));
  }
  await eventually('two ready nodes', async () => {
    const r = await api(url, adminToken, 'GET', '/api/v1/nodes');
    return (r.json.items as { state: string }[]).filter((n) => n.state === 'ready').length === 2 ? true : undefined;
  }, 60_000);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(nodes.map((n) => n.stop()));
  await hq?.stop();
  await root?.remove();
});

describe('web dashboard in Chromium', () => {
  it('logs in with a token, refuses a bad one, and shows both nodes', async () => {
    const { page, record } = await fresh();
    await page.goto(url);
    await screenshot(page, 'login-desktop');
    const phone = await fresh(PHONE);
    await phone.page.goto(url);
    await phone.page.getByLabel('API token').waitFor();
    await screenshot(phone.page, 'login-phone');
    await page.getByLabel('API token').fill('tok_nope.secret');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: /token/i }).waitFor();
    record.errors.length = 0; // the refused login's 401 is logged by the browser itself
    await logIn(page, url, adminToken);
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.getByText('alpha', { exact: true }).first().waitFor();
    await page.getByText('beta', { exact: true }).first().waitFor();
    // the token is kept for the tab: a reload stays logged in
    await page.reload();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API token').waitFor();
  }, 120_000);

  it('creates a task from the form and watches it succeed live', async () => {
    const page = await loggedIn();
    await page.getByRole('link', { name: 'Tasks' }).click();
    await page.getByLabel('Prompt').fill('echo hello-from-the-browser');
    await page.getByLabel('Agent').selectOption('shell');
    await page.getByRole('button', { name: 'Create task' }).click();
    await page.waitForURL(/#\/tasks\/task_/);
    const id = /#\/tasks\/(task_[^/?]+)/.exec(page.url())![1]!;
    await page.getByText('succeeded').first().waitFor({ timeout: 30_000 });
    await page.getByText('hello-from-the-browser').first().waitFor();
    expect((await taskState(id)).state).toBe('succeeded');
  }, 120_000);

  it('pauses, guides and resumes a looping task; the guidance shows in its timeline', async () => {
    const task = await createTask({ prompt: 'echo tick; sleep 0.5', mode: 'loop', maxIterations: 500, requires: ['web-test'] });
    await waitState(task.id, ['running']);
    const page = await loggedIn();
    await page.goto(`${url}/#/tasks/${task.id}`);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await waitState(task.id, ['paused']);
    await page.getByText('paused').first().waitFor();
    await page.getByLabel('Guidance').fill('focus on the flaky test first');
    await page.getByRole('button', { name: 'Send guidance' }).click();
    await page.getByRole('listitem').filter({ hasText: 'focus on the flaky test first' }).first().waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitState(task.id, ['running']);
    await screenshot(page, 'task-desktop');
    await stopTask(task.id);
  }, 120_000);

  it('the kill switch shows a banner on every page and stops the running task', async () => {
    const task = await createTask({ prompt: 'sleep 120', requires: ['web-test'] });
    await waitState(task.id, ['running']);
    const page = await loggedIn();
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.getByRole('button', { name: 'Kill switch' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox').first().fill('browser test');
    await dialog.getByRole('button', { name: 'Turn on' }).click();
    const banner = page.getByRole('alert').filter({ hasText: 'Kill switch is ON' });
    await banner.waitFor();
    expect(await banner.textContent()).toContain('browser test');
    await page.getByRole('link', { name: 'Tasks' }).click();
    await banner.waitFor();
    await screenshot(page, 'killswitch-desktop');
    const stopped = await eventually('the running task stops', async () => {
      const t = await taskState(task.id);
      return t.state !== 'running' && t.state !== 'leased' ? t : undefined;
    });
    expect(stopped.reason).toBe('killswitch');
    await page.goto(`${url}/#/tasks/${task.id}`);
    await page.getByText(/killswitch/).first().waitFor();
    // turn it off again from the page
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.getByRole('button', { name: 'Kill switch' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Turn off' }).click();
    await banner.waitFor({ state: 'detached' });
    expect((await api(url, adminToken, 'GET', '/api/v1/killswitch')).json.on).toBe(false);
    await stopTask(task.id);
  }, 120_000);

  it('chat: a request gets a plan preview and runs; a refused request shows its reason', async () => {
    const page = await loggedIn();
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByLabel('Request').fill('Use shell to list the files in the workspace, at most 2 iterations');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('button', { name: 'Run this plan' }).waitFor();
    await page.getByText('shell').first().waitFor();
    await page.getByRole('button', { name: 'Run this plan' }).click();
    await page.getByRole('link', { name: 'Open task' }).waitFor();
    await page.getByLabel('Request').fill('Delete the production database and force push to main');
    await page.getByRole('button', { name: 'Send' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'Refused' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/tripcode/i);
    await screenshot(page, 'chat-conversation-desktop');
  }, 120_000);

  it('a reload mid-stream neither loses nor duplicates an event', async () => {
    const task = await createTask({ prompt: 'echo tick; sleep 0.2', mode: 'loop', maxIterations: 15, requires: ['web-test'] });
    const page = await loggedIn();
    await page.goto(`${url}/#/tasks/${task.id}`);
    const items = page.locator('[data-seq]');
    await eventually('some events shown', async () => ((await items.count()) >= 8 ? true : undefined));
    await page.reload();
    await eventually('events shown again after the reload', async () => ((await items.count()) >= 12 ? true : undefined));
    await waitState(task.id, ['succeeded', 'failed'], 60_000);
    const events = (await api(url, adminToken, 'GET', `/api/v1/tasks/${task.id}/events?limit=1000`)).json.items as { seq: number }[];
    const expected = events.map((e) => String(e.seq));
    const shown = await eventually('every event shown', async () => {
      const seqs = await page.evaluate<string[]>("Array.from(document.querySelectorAll('[data-seq]'), (e) => e.getAttribute('data-seq') ?? '')");
      return seqs.length >= expected.length ? seqs : undefined;
    });
    expect(new Set(shown).size).toBe(shown.length); // no duplicates
    expect([...shown].sort()).toEqual([...expected].sort()); // nothing lost
  }, 120_000);

  it('is usable with the keyboard alone: log in, move through the navigation, open and close a dialog', async () => {
    const { page } = await fresh();
    await page.goto(url);
    await page.getByLabel('API token').focus();
    await page.keyboard.type(adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    const focusedText = () => page.evaluate<string>('(document.activeElement && document.activeElement.textContent || "").trim()');
    let reached = false;
    for (let i = 0; i < 20 && !reached; i += 1) {
      await page.keyboard.press('Tab');
      reached = (await focusedText()) === 'Audit';
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/audit/);
    await page.goto(`${url}/#/fleet`);
    await page.getByRole('button', { name: 'Kill switch' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await focusedText()).toBe('Kill switch'); // focus returns to the button that opened it
  }, 120_000);

  it('reconnects after HQ goes away and comes back, without missing or repeating an event', async () => {
    const task = await createTask({ prompt: 'echo tick; sleep 0.3', mode: 'loop', maxIterations: 25, requires: ['web-test'] });
    const page = await loggedIn();
    await page.goto(`${url}/#/tasks/${task.id}`);
    const items = page.locator('[data-seq]');
    await eventually('some events shown', async () => ((await items.count()) >= 6 ? true : undefined));
    await page.locator('[data-connection="open"]').waitFor();
    // pages of earlier tests would log their failed polls while HQ is away: close them
    for (const c of contexts.slice(0, -1)) await c.close();
    // the network path to HQ is gone: HQ stops, the stream breaks, the node keeps working
    const port = new URL(url).port;
    await hq.stop();
    await page.locator('[data-connection="reconnecting"]').waitFor({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 1500));
    hq = new CorticalDaemon(['hq', '--port', port], hqEnv);
    await hq.waitFor(/(http:\/\/127\.0\.0\.1:\d+)/);
    await page.locator('[data-connection="open"]').waitFor({ timeout: 30_000 });
    await waitState(task.id, ['succeeded', 'failed'], 90_000);
    const events = (await api(url, adminToken, 'GET', `/api/v1/tasks/${task.id}/events?limit=1000`)).json.items as { seq: number }[];
    const expected = events.map((e) => String(e.seq));
    const shown = await eventually('every event shown', async () => {
      const seqs = await page.evaluate<string[]>("Array.from(document.querySelectorAll('[data-seq]'), (e) => e.getAttribute('data-seq') ?? '')");
      return seqs.length >= expected.length ? seqs : undefined;
    }, 30_000);
    expect(new Set(shown).size).toBe(shown.length);
    expect([...shown].sort()).toEqual([...expected].sort());
    // requests that failed while HQ was away are logged by the browser; they are expected here
    const record = records[records.length - 1]!;
    record.errors.splice(0, record.errors.length, ...record.errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource|Failed to fetch|net::/.test(e)));
  }, 180_000);

  it('the audit view lists who did what', async () => {
    const page = await loggedIn();
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByText(/kill switch ON/).first().waitFor();
    await page.getByText(/task\.created/).first().waitFor();
  }, 120_000);

  it('takes screenshots of every view at desktop and phone widths', async () => {
    const task = (await api(url, adminToken, 'GET', '/api/v1/tasks?limit=1')).json.items[0] as Task;
    for (const [label, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      const page = await loggedIn(viewport);
      for (const [view, hash] of [['fleet', '#/fleet'], ['tasks', '#/tasks'], ['task', `#/tasks/${task.id}`], ['chat', '#/chat'], ['audit', '#/audit']] as const) {
        await page.goto(`${url}/${hash}`);
        await page.getByRole('main').waitFor();
        await page.waitForLoadState('networkidle').catch(() => undefined);
        const path = await screenshot(page, `${view}-${label}`);
        expect((await readFile(path)).length).toBeGreaterThan(1000);
      }
      // nothing overflows the phone's width
      if (label === 'phone') {
        const width = await page.evaluate<number>('document.documentElement.scrollWidth');
        expect(width).toBeLessThanOrEqual(PHONE.width + 1);
      }
    }
  }, 120_000);

  it('made only documented API requests and logged no console errors', async () => {
    const openapi = (await api(url, null, 'GET', '/api/v1/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    const calls = new Set(records.flatMap((r) => [...r.apiCalls]));
    expect(calls.size).toBeGreaterThan(5);
    const undocumented = undocumentedCalls(calls, openapi);
    expect(undocumented, `undocumented: ${undocumented.join(', ')}`).toEqual([]);
    const errors = records.flatMap((r) => r.errors);
    expect(errors, `console errors:\n${errors.join('\n')}`).toEqual([]);
  });
});
