/**
 * Fleet client commands (agents and budgets, nodes, kill switch, status, token create) and
 * interrupts, against a STAND-IN HQ (./testing/stand-in-hq.ts): canned contract-shaped replies,
 * recorded requests. The real HQ is exercised by the end-to-end tests.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './program.js';
import { fakeIo } from './testing/fake-io.js';
import { T0, afterPage, sampleEvent, sampleNode, sampleTask, sseMessage } from './testing/fixtures.js';
import { noRunners, TOKEN, useStandInHq } from './testing/stand-in-cli.js';
import type { StandInHq } from './testing/stand-in-hq.js';

const standIn = useStandInHq();
const cli = standIn.cli;
let hq: StandInHq;
beforeEach(() => {
  hq = standIn.hq();
});

describe('agents: run flags, resleeve, budgets, usage', () => {
  it('run --model --project --fallback; tasks resleeve', async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    hq.on('POST', '/api/v1/tasks/tsk_1/resleeve', { json: sampleTask({ state: 'running', spec: { ...sampleTask().spec, agent: 'codex', model: 'gpt-5' } }) });
    expect((await cli('run', '--agent', 'claude', '--model', 'claude-sonnet-4-5', '--project', 'web', '--fallback', 'codex:gpt-5', '--fallback', 'gemini', 'fix it')).code).toBe(0);
    expect((await cli('tasks', 'resleeve', 'tsk_1', '--agent', 'codex', '--model', 'gpt-5')).out).toBe('tsk_1 continues on codex (gpt-5) from its next iteration\n');
    const bad = await cli('tasks', 'resleeve', 'tsk_1', '--agent', 'Codex!');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/expected an agent name/);
    expect(hq.requests.map((r) => [r.path, r.body])).toEqual([
      ['/api/v1/tasks', expect.objectContaining({ agent: 'claude', model: 'claude-sonnet-4-5', project: 'web', fallbacks: [{ agent: 'codex', model: 'gpt-5' }, { agent: 'gemini', model: null }] })],
      ['/api/v1/tasks/tsk_1/resleeve', { agent: 'codex', model: 'gpt-5' }],
    ]);
  });

  it('projects budget, fleet budget, usage', async () => {
    const budget = { project: 'web', dailyUsd: 5, dailyTokens: null, today: { usd: 1.25, tokens: 300 } };
    hq.on('PUT', '/api/v1/projects/web/budget', { json: budget });
    hq.on('GET', '/api/v1/fleet/budget', { json: { ...budget, project: '*', dailyUsd: null } });
    hq.on('GET', '/api/v1/usage', { json: { items: [{ key: 'web', tokensIn: 200, tokensOut: 100, usd: 1.25 }], nextOffset: null } });
    expect((await cli('projects', 'budget', 'web', '--daily-usd', '5')).out).toBe('project web: budget $5/day; today $1.2500, 300 tokens\n');
    expect((await cli('fleet', 'budget')).out).toBe('fleet: budget none; today $1.2500, 300 tokens\n');
    expect((await cli('usage', '--by', 'project', '--days', '7')).out).toMatch(/PROJECT\s+TOKENS IN\s+TOKENS OUT\s+USD\nweb\s+200\s+100\s+\$1\.2500/);
    expect((await cli('projects', 'budget', 'web', '--clear', '--daily-usd', '1')).err).toMatch(/--clear cannot go with/);
    expect(hq.requests.find((r) => r.method === 'PUT')?.body).toEqual({ dailyUsd: 5, dailyTokens: null });
  });
});

describe('nodes, killswitch, status, token', () => {
  it('nodes ls / show / cordon', async () => {
    hq.on('GET', '/api/v1/nodes', { json: { items: [sampleNode()], nextCursor: null } });
    hq.on('GET', '/api/v1/nodes/nod_1', { json: sampleNode() });
    hq.on('POST', '/api/v1/nodes/nod_1/cordon', { json: sampleNode({ scheduling: 'cordoned', state: 'cordoned' }) });
    const ls = await cli('nodes', 'ls');
    expect(ls.out).toMatch(/^ID\s+NAME\s+STATE\s+SLOTS\s+FREE\s+LOAD\s+HEARTBEAT\s+VERSION\s+CAPABILITIES\nnod_1\s+mini\s+ready\s+1\/2\s+1\s+0\.50\s+3s ago\s+0\.1\.0\s+shell,script\n$/);
    expect(JSON.parse((await cli('nodes', 'ls', '--json')).out)).toEqual([sampleNode()]);
    expect((await cli('nodes', 'show', 'nod_1')).out).toMatch(/^slots:\s+1 busy of 2, 1 free$/m);
    expect((await cli('nodes', 'cordon', 'nod_1')).out).toMatch(/node mini \(nod_1\) cordoned/);
  });

  it('killswitch on/off/status', async () => {
    const on = { on: true, reason: 'maintenance', changedAt: T0, changedBy: 'tok_test' };
    hq.on('PUT', '/api/v1/killswitch', (req) => ({ json: (req.body as { on: boolean }).on ? on : { ...on, on: false, reason: null } }));
    hq.on('GET', '/api/v1/killswitch', { json: on });
    expect((await cli('killswitch', 'on', '--reason', 'maintenance')).out).toBe('kill switch ON; reason: maintenance; changed 3s ago by tok_test\n');
    expect((await cli('killswitch', 'off')).out).toMatch(/^kill switch off/);
    expect(JSON.parse((await cli('killswitch', 'status', '--json')).out)).toEqual(on);
    expect(hq.calls('/api/v1/killswitch', 'PUT').map((r) => r.body)).toEqual([
      { on: true, reason: 'maintenance' },
      { on: false, reason: null },
    ]);
  });

  it('status: human and JSON', async () => {
    const s = {
      version: '0.1.0',
      killSwitch: { on: false, reason: null, changedAt: null, changedBy: null },
      tasks: { queued: 2, running: 1, succeeded: 10 },
      nodes: { total: 3, ready: 2, lost: 1, freeSlots: 3 },
      today: { date: '2026-11-21', succeeded: 10, failed: 2, cancelled: 0, usd: 3.5, tokens: 1200 },
      burnRateUsdPerHour: 0.75,
      scheduler: { replica: 'hq_b', leader: 'hq_a', leading: false, term: 3 },
    };
    hq.on('GET', '/api/v1/status', { json: s });
    const r = await cli('status');
    expect(r.out).toMatch(/^hq:\s+http:\/\/127\.0\.0\.1:\d+ \(version 0\.1\.0\)$/m);
    expect(r.out).toMatch(/^kill switch:\s+off$/m);
    expect(r.out).toMatch(/^tasks:\s+queued 2, running 1, succeeded 10$/m);
    expect(r.out).toMatch(/^nodes:\s+2 ready, 1 lost \(3 total\), 3 free slots$/m);
    expect(r.out).toMatch(/^today:\s+10 succeeded, 2 failed, \$3\.50 spent, burn rate \$0\.75\/h \(2026-11-21 UTC\)$/m);
    expect(r.out).toMatch(/^scheduler:\s+replica hq_a \(term 3\); this one is hq_b$/m);
    expect(JSON.parse((await cli('status', '--json')).out)).toEqual({ hq: hq.url, ...s });
  });

  it('token create --role node prints the token and the join command', async () => {
    hq.on('POST', '/api/v1/tokens', {
      status: 201,
      json: { id: 'tok_j1', kind: 'join', role: 'node', token: 'tok_j1.joinsecret0123456789', expiresAt: T0 + 86_400_000, singleUse: true },
    });
    const r = await cli('token', 'create', '--role', 'node', '--ttl', '2h', '--single-use', '--label', 'gpu box');
    expect(r.code).toBe(0);
    expect(hq.calls('/api/v1/tokens')[0]?.body).toEqual({ role: 'node', ttlMs: 7_200_000, label: 'gpu box', singleUse: true });
    expect(r.out).toContain('tok_j1.joinsecret0123456789\n');
    expect(r.out).toContain(`cortical node --hq ${hq.url} --join-token tok_j1.joinsecret0123456789`);
    expect(r.err).toMatch(/loopback address/);
    const json = JSON.parse((await cli('token', 'create', '--role', 'node', '--json')).out) as Record<string, unknown>;
    expect(json['joinCommand']).toBe(`cortical node --hq ${hq.url} --join-token tok_j1.joinsecret0123456789`);
  });
});

describe('interrupts', () => {
  it('--wait stops waiting with exit 130 when the injected signal aborts; the task is left alone', async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    hq.on('GET', '/api/v1/tasks/tsk_1', { json: sampleTask({ state: 'running' }) });
    const ac = new AbortController();
    const io = fakeIo(['run', '--wait', 'x'], { env: { CORTICAL_HQ: hq.url, CORTICAL_TOKEN: TOKEN }, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    expect(await runCli(io, noRunners)).toBe(130);
    expect(io.errText()).toMatch(/interrupted; the task keeps running/);
    expect(hq.calls('/api/v1/tasks/tsk_1/stop')).toHaveLength(0);
  });

  it('--follow stops following with exit 130 when the signal aborts mid-stream', async () => {
    hq.on('POST', '/api/v1/tasks', { status: 201, json: sampleTask() });
    hq.on('GET', '/api/v1/tasks/tsk_1/events', { json: afterPage([]) });
    hq.on('GET', '/api/v1/tasks/tsk_1/logs', { json: afterPage([]) });
    hq.on('GET', '/api/v1/tasks/tsk_1', { json: sampleTask({ state: 'running' }) });
    // a stream that stays open: one event, no end
    hq.on('GET', '/api/v1/events', { sse: [sseMessage(sampleEvent(2, 'task.started'))], keepOpen: true });
    const ac = new AbortController();
    const io = fakeIo(['run', '--follow', 'x'], { env: { CORTICAL_HQ: hq.url, CORTICAL_TOKEN: TOKEN }, signal: ac.signal });
    setTimeout(() => ac.abort(), 150);
    expect(await runCli(io, noRunners)).toBe(130);
    expect(io.out()).toMatch(/task\.started/);
  });
});
