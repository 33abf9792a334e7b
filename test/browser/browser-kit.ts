/**
 * Test support for the dashboard's browser tests: Debian's Chromium driven by playwright-core,
 * a recorder of every request the page makes (checked against the OpenAPI document) and of
 * console errors, and screenshots under `test-output/screenshots/`.
 */
import { execFile } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../e2e/cortical-process.js';

export const CHROMIUM = process.env.CORTICAL_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(REPO_ROOT, 'test-output', 'screenshots');
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** Builds the dashboard when `web/dist` is missing (CI builds it with `npm install`). */
export async function ensureWebBuilt(): Promise<void> {
  const ok = await access(join(REPO_ROOT, 'web', 'dist', 'index.html')).then(
    () => true,
    () => false,
  );
  if (!ok) await promisify(execFile)('npm', ['run', 'build:web'], { cwd: REPO_ROOT, timeout: 180_000 });
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface PageRecord {
  /** `METHOD /path` of every same-origin API request. */
  readonly apiCalls: Set<string>;
  /** Console errors and uncaught page errors. */
  readonly errors: string[];
}

/** A fresh context and page on `baseUrl`, recording API calls and console errors. */
export async function openPage(browser: Browser, baseUrl: string, viewport: { width: number; height: number } = DESKTOP): Promise<{ context: BrowserContext; page: Page; record: PageRecord }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const record: PageRecord = { apiCalls: new Set(), errors: [] };
  const origin = new URL(baseUrl).origin;
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.origin === origin && u.pathname.startsWith('/api/')) record.apiCalls.add(`${req.method()} ${u.pathname}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') record.errors.push(msg.text());
  });
  page.on('pageerror', (err) => record.errors.push(`pageerror: ${err.message}`));
  return { context, page, record };
}

/** Logs in with a token through the login form. */
export async function logIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * `METHOD /path` calls that match no operation of the OpenAPI document (path templates such as
 * `/api/v1/tasks/{id}` match any one segment).
 */
export function undocumentedCalls(calls: Iterable<string>, openapi: { paths: Record<string, Record<string, unknown>> }): string[] {
  const ops = Object.entries(openapi.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), parts: path.split('/') })));
  const matches = (parts: readonly string[], path: string): boolean => {
    const segs = path.split('/');
    return segs.length === parts.length && parts.every((p, i) => (/^\{[^}]+\}$/.test(p) ? segs[i] !== '' : p === segs[i]));
  };
  const out: string[] = [];
  for (const call of calls) {
    const [method, path] = call.split(' ') as [string, string];
    if (!ops.some((o) => o.method === method && matches(o.parts, path))) out.push(call);
  }
  return out;
}
