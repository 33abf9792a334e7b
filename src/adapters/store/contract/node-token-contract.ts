import { describe, expect, it } from 'vitest';
import type { NewToken } from '../../../core/ports/store.js';
import {
  addNode,
  addTask,
  claimOf,
  countEvents,
  expectCode,
  grant,
  must,
  runningTask,
  type ContractEnv,
  type EnvGetter,
} from './contract-fixtures.js';

function newToken(e: ContractEnv, overrides: Partial<NewToken> = {}): NewToken {
  return {
    id: e.ids.newId('tok'),
    kind: 'join',
    role: 'node',
    secretHash: 'hash-1',
    nodeId: null,
    label: 'laptop',
    nowMs: e.clock.nowMs(),
    expiresAt: null,
    singleUse: true,
    actor: 'admin',
    ...overrides,
  };
}

/** Nodes, the kill switch, tokens. */
export function nodeTokenContract(env: EnvGetter): void {
  describe('nodes', () => {
    it('registerNode, getNode and node.joined', async () => {
      const e = env();
      const n = await addNode(e, { name: 'mini', capabilities: ['shell', 'gpu'], slots: 4 });
      expect(n).toMatchObject({ name: 'mini', capabilities: ['shell', 'gpu'], slots: 4, activeLeases: 0, liveness: 'ready', scheduling: 'active' });
      expect(n.joinedAt).toBe(e.clock.nowMs());
      expect(await e.store.getNode(n.id)).toEqual(n);
      expect(await e.store.getNode('node_nope')).toBeNull();
      expect(await countEvents(e.store, 'node.joined')).toBe(1);
    });

    it('heartbeat refreshes the node and recovers a lost one', async () => {
      const e = env();
      const n = await addNode(e);
      e.clock.advance(60_000);
      await e.store.reapExpired({ nowMs: e.clock.nowMs(), nodeLostAfterMs: 30_000, limit: 10 });
      const resources = { cpuCount: 8, loadAvg1: 1, memTotalMb: 16_000, memFreeMb: 1_000 };
      const hb = await e.store.heartbeatNode({ nodeId: n.id, nowMs: e.clock.nowMs(), resources, capabilities: ['x'], slots: 9, version: '0.2.0' });
      expect(hb.node).toMatchObject({ liveness: 'ready', resources, capabilities: ['x'], slots: 9, version: '0.2.0', lastHeartbeatAt: e.clock.nowMs() });
      expect(hb.capacityChanged).toBe(true);
      expect(await countEvents(e.store, 'node.recovered')).toBe(1);
      await e.store.heartbeatNode({ nodeId: n.id, nowMs: e.clock.nowMs() + 1, resources });
      expect(await countEvents(e.store, 'node.recovered')).toBe(1);
      expect(must(await e.store.getNode(n.id)).slots).toBe(9);
      await expectCode(e.store.heartbeatNode({ nodeId: 'node_nope', nowMs: 1, resources }), 'NODE_NOT_FOUND');
    });

    it('heartbeat reports whether the scheduler\'s view changed: slots, capabilities or liveness', async () => {
      const e = env();
      const n = await addNode(e, { capabilities: ['a', 'b'], slots: 2 });
      const beat = (over: { capabilities?: string[]; slots?: number; loadAvg1?: number } = {}) => {
        e.clock.advance(1000);
        return e.store.heartbeatNode({
          nodeId: n.id,
          nowMs: e.clock.nowMs(),
          resources: { ...n.resources, loadAvg1: over.loadAvg1 ?? 0.5 },
          capabilities: over.capabilities,
          slots: over.slots,
        });
      };
      const plain = await beat({ loadAvg1: 3.25 });
      expect(plain.capacityChanged).toBe(false);
      expect(plain.node).toMatchObject({ liveness: 'ready', slots: 2, capabilities: ['a', 'b'], lastHeartbeatAt: e.clock.nowMs(), activeLeases: 0 });
      expect(plain.node.resources.loadAvg1).toBe(3.25);
      expect(must(await e.store.getNode(n.id))).toEqual(plain.node);
      expect((await beat({ slots: 2, capabilities: ['a', 'b'] })).capacityChanged).toBe(false);
      expect((await beat({ slots: 3 })).capacityChanged).toBe(true);
      expect((await beat({ slots: 3 })).capacityChanged).toBe(false);
      const caps = await beat({ capabilities: ['a', 'b', 'gpu'] });
      expect(caps.capacityChanged).toBe(true);
      expect(caps.node.capabilities).toEqual(['a', 'b', 'gpu']);
      e.clock.advance(60_000);
      await e.store.reapExpired({ nowMs: e.clock.nowMs(), nodeLostAfterMs: 30_000, limit: 10 });
      const back = await beat();
      expect(back.capacityChanged).toBe(true);
      expect(back.node.liveness).toBe('ready');
      expect(await countEvents(e.store, 'node.recovered')).toBe(1);
    });

    it('cordon, drain and uncordon with their events; draining → drained when leases end', async () => {
      const e = env();
      const { task, node } = await runningTask(e);
      const set = (scheduling: 'active' | 'cordoned' | 'draining') =>
        e.store.setNodeScheduling({ nodeId: node.id, scheduling, nowMs: e.clock.nowMs(), actor: 'ops' });
      expect((await set('cordoned')).scheduling).toBe('cordoned');
      expect((await set('draining')).scheduling).toBe('draining');
      expect((await e.store.listNodes({ states: ['draining'] })).items.map((n) => n.id)).toEqual([node.id]);
      await e.store.completeAttempt({ claim: claimOf(task), nowMs: e.clock.nowMs(), outcome: 'succeeded', reason: 'agent_done', message: null });
      expect((await e.store.listNodes({ states: ['drained'] })).items.map((n) => n.id)).toEqual([node.id]);
      expect((await set('active')).scheduling).toBe('active');
      const types = (await e.store.readEvents({ afterSeq: 0, limit: 100 })).map((x) => x.type).filter((t) => t.startsWith('node.'));
      expect(types).toEqual(['node.joined', 'node.cordoned', 'node.draining', 'node.uncordoned']);
      await expectCode(e.store.setNodeScheduling({ nodeId: 'node_nope', scheduling: 'cordoned', nowMs: 1, actor: 'x' }), 'NODE_NOT_FOUND');
    });

    it('activeLeases counts leased, running and paused tasks only', async () => {
      const e = env();
      const node = await addNode(e, { slots: 5 });
      const leased = await grant(e, (await addTask(e)).id, node.id);
      const running = await e.store.startAttempt({ claim: claimOf(await grant(e, (await addTask(e)).id, node.id)), nowMs: e.clock.nowMs(), workspacePath: '/w' });
      const paused = await e.store.startAttempt({ claim: claimOf(await grant(e, (await addTask(e)).id, node.id)), nowMs: e.clock.nowMs(), workspacePath: '/w' });
      await e.store.reportProgress({ claim: claimOf(paused), nowMs: e.clock.nowMs(), iterations: [], logs: [], observed: 'paused' });
      expect(must(await e.store.getNode(node.id)).activeLeases).toBe(3);
      await e.store.completeAttempt({ claim: claimOf(running), nowMs: e.clock.nowMs(), outcome: 'failed', reason: 'agent_failed', message: null });
      await e.store.completeAttempt({ claim: claimOf(leased), nowMs: e.clock.nowMs(), outcome: 'requeue', reason: 'node_released', message: null });
      expect(must(await e.store.getNode(node.id)).activeLeases).toBe(1);
      expect((await e.store.listNodes({})).items[0]?.activeLeases).toBe(1);
    });

    it('listNodes pages by name then id and filters by state', async () => {
      const e = env();
      const names = ['delta', 'alpha', 'charlie', 'bravo', 'alpha'];
      for (const name of names) await addNode(e, { name });
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await e.store.listNodes({ limit: 2, cursor });
        seen.push(...page.items.map((n) => n.name));
        cursor = page.nextCursor ?? undefined;
        if (cursor === undefined) break;
      }
      expect(seen).toEqual(['alpha', 'alpha', 'bravo', 'charlie', 'delta']);
      const all = (await e.store.listNodes({ limit: 50 })).items;
      expect(new Set(all.map((n) => n.id)).size).toBe(5);
      const bravo = must(all.find((n) => n.name === 'bravo'));
      await e.store.setNodeScheduling({ nodeId: bravo.id, scheduling: 'cordoned', nowMs: e.clock.nowMs(), actor: 'ops' });
      expect((await e.store.listNodes({ states: ['cordoned'] })).items.map((n) => n.name)).toEqual(['bravo']);
      expect((await e.store.listNodes({ states: ['ready'] })).items).toHaveLength(4);
      expect((await e.store.listNodes({ states: ['lost'] })).items).toHaveLength(0);
    });
  });

  describe('kill switch', () => {
    it('starts off, turns on and off with killswitch.changed events', async () => {
      const e = env();
      expect(await e.store.getKillSwitch()).toEqual({ on: false, reason: null, changedAt: null, changedBy: null });
      const on = await e.store.setKillSwitch({ on: true, reason: 'runaway costs', nowMs: 500, actor: 'alice' });
      expect(on).toEqual({ on: true, reason: 'runaway costs', changedAt: 500, changedBy: 'alice' });
      expect(await e.store.getKillSwitch()).toEqual(on);
      const off = await e.store.setKillSwitch({ on: false, reason: null, nowMs: 600, actor: 'bob' });
      expect(off.on).toBe(false);
      expect(await countEvents(e.store, 'killswitch.changed')).toBe(2);
    });
  });

  describe('tokens', () => {
    it('createToken and getToken round-trip, with token.created', async () => {
      const e = env();
      const input = newToken(e, { kind: 'node_access', nodeId: 'node_1', expiresAt: 9_999, singleUse: false });
      const rec = await e.store.createToken(input);
      expect(rec).toEqual({
        id: input.id,
        kind: 'node_access',
        role: 'node',
        secretHash: 'hash-1',
        nodeId: 'node_1',
        label: 'laptop',
        createdAt: input.nowMs,
        expiresAt: 9_999,
        singleUse: false,
        usedAt: null,
        revokedAt: null,
      });
      expect(await e.store.getToken(input.id)).toEqual(rec);
      expect(await e.store.getToken('tok_nope')).toBeNull();
      expect(await countEvents(e.store, 'token.created')).toBe(1);
    });

    it('a single-use join token is consumed once only, even concurrently', async () => {
      const e = env();
      const tok = await e.store.createToken(newToken(e));
      const attempts = await Promise.allSettled([
        e.store.consumeJoinToken({ id: tok.id, secretHash: 'hash-1', nowMs: 10 }),
        e.store.consumeJoinToken({ id: tok.id, secretHash: 'hash-1', nowMs: 10 }),
        e.store.consumeJoinToken({ id: tok.id, secretHash: 'hash-1', nowMs: 10 }),
      ]);
      expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
      expect(must(await e.store.getToken(tok.id)).usedAt).toBe(10);
      await expectCode(e.store.consumeJoinToken({ id: tok.id, secretHash: 'hash-1', nowMs: 11 }), 'JOIN_TOKEN_INVALID');
    });

    it('a multi-use join token can be used again', async () => {
      const e = env();
      const tok = await e.store.createToken(newToken(e, { singleUse: false }));
      await e.store.consumeJoinToken({ id: tok.id, secretHash: 'hash-1', nowMs: 10 });
      const again = await e.store.consumeJoinToken({ id: tok.id, secretHash: 'hash-1', nowMs: 20 });
      expect(again.usedAt).toBe(20);
    });

    it('expired, revoked, wrong-secret, unknown and non-join tokens are rejected', async () => {
      const e = env();
      const expired = await e.store.createToken(newToken(e, { expiresAt: 100 }));
      await expectCode(e.store.consumeJoinToken({ id: expired.id, secretHash: 'hash-1', nowMs: 100 }), 'JOIN_TOKEN_INVALID');
      const revoked = await e.store.createToken(newToken(e));
      await e.store.revokeToken({ id: revoked.id, nowMs: 50, actor: 'admin' });
      expect(must(await e.store.getToken(revoked.id)).revokedAt).toBe(50);
      await expectCode(e.store.consumeJoinToken({ id: revoked.id, secretHash: 'hash-1', nowMs: 60 }), 'JOIN_TOKEN_INVALID');
      const ok = await e.store.createToken(newToken(e));
      await expectCode(e.store.consumeJoinToken({ id: ok.id, secretHash: 'other', nowMs: 60 }), 'JOIN_TOKEN_INVALID');
      await expectCode(e.store.consumeJoinToken({ id: 'tok_nope', secretHash: 'hash-1', nowMs: 60 }), 'JOIN_TOKEN_INVALID');
      const api = await e.store.createToken(newToken(e, { kind: 'api', role: 'admin' }));
      await expectCode(e.store.consumeJoinToken({ id: api.id, secretHash: 'hash-1', nowMs: 60 }), 'JOIN_TOKEN_INVALID');
      expect(must(await e.store.getToken(ok.id)).usedAt).toBeNull();
      await expectCode(e.store.revokeToken({ id: 'tok_nope', nowMs: 1, actor: 'a' }), 'TOKEN_NOT_FOUND');
      expect(await countEvents(e.store, 'token.revoked')).toBe(1);
    });

    it('revokeNodeTokens revokes a node’s tokens of one kind, except one', async () => {
      const e = env();
      const mk = (kind: 'node_access' | 'node_refresh', nodeId: string) =>
        e.store.createToken(newToken(e, { kind, nodeId, singleUse: false }));
      const a1 = await mk('node_access', 'node_a');
      const a2 = await mk('node_access', 'node_a');
      const a3 = await mk('node_access', 'node_a');
      const r1 = await mk('node_refresh', 'node_a');
      const b1 = await mk('node_access', 'node_b');
      expect(await e.store.revokeNodeTokens({ nodeId: 'node_a', kind: 'node_access', nowMs: 70, exceptId: a3.id })).toBe(2);
      for (const t of [a1, a2]) expect(must(await e.store.getToken(t.id)).revokedAt).toBe(70);
      for (const t of [a3, r1, b1]) expect(must(await e.store.getToken(t.id)).revokedAt).toBeNull();
      expect(await e.store.revokeNodeTokens({ nodeId: 'node_a', kind: 'node_access', nowMs: 80, exceptId: a3.id })).toBe(0);
      expect(await e.store.revokeNodeTokens({ nodeId: 'node_a', kind: 'node_access', nowMs: 90 })).toBe(1);
    });

    it('listTokens: newest first, by kind, only active ones with activeAt, in pages', async () => {
      const e = env();
      const viewer = await e.store.createToken(newToken(e, { kind: 'api', role: 'viewer', singleUse: false }));
      const join = await e.store.createToken(newToken(e));
      const used = await e.store.createToken(newToken(e));
      await e.store.consumeJoinToken({ id: used.id, secretHash: 'hash-1', nowMs: 10 });
      const expiring = await e.store.createToken(newToken(e, { kind: 'api', role: 'operator', expiresAt: 500, singleUse: false }));
      const revoked = await e.store.createToken(newToken(e, { kind: 'api', role: 'admin', singleUse: false }));
      await e.store.revokeToken({ id: revoked.id, nowMs: 20, actor: 'admin' });
      const access = await e.store.createToken(newToken(e, { kind: 'node_access', nodeId: 'node_1', singleUse: false }));
      const ids = (p: { items: readonly { id: string }[] }) => p.items.map((t) => t.id);

      expect(ids(await e.store.listTokens({}))).toEqual([access.id, revoked.id, expiring.id, used.id, join.id, viewer.id]);
      expect(ids(await e.store.listTokens({ kinds: ['api'] }))).toEqual([revoked.id, expiring.id, viewer.id]);
      expect(ids(await e.store.listTokens({ kinds: [] }))).toEqual([]);
      expect(ids(await e.store.listTokens({ kinds: ['api'], roles: ['admin', 'viewer'] }))).toEqual([revoked.id, viewer.id]);
      expect(ids(await e.store.listTokens({ kinds: ['api'], roles: ['admin'], activeAt: 100 }))).toEqual([]);
      expect(ids(await e.store.listTokens({ kinds: ['api', 'join'], activeAt: 100 }))).toEqual([expiring.id, join.id, viewer.id]);
      expect(ids(await e.store.listTokens({ kinds: ['api', 'join'], activeAt: 500 }))).toEqual([join.id, viewer.id]);
      expect((await e.store.listTokens({ kinds: ['api'] })).items[0]).toEqual(must(await e.store.getToken(revoked.id)));

      const first = await e.store.listTokens({ limit: 4 });
      expect(ids(first)).toEqual([access.id, revoked.id, expiring.id, used.id]);
      expect(first.nextCursor).not.toBeNull();
      const second = await e.store.listTokens({ limit: 4, cursor: first.nextCursor! });
      expect(ids(second)).toEqual([join.id, viewer.id]);
      expect(second.nextCursor).toBeNull();
    });

    it('hasAdminToken sees only live admin api tokens', async () => {
      const e = env();
      expect(await e.store.hasAdminToken()).toBe(false);
      await e.store.createToken(newToken(e, { kind: 'api', role: 'viewer' }));
      expect(await e.store.hasAdminToken()).toBe(false);
      const admin = await e.store.createToken(newToken(e, { kind: 'api', role: 'admin' }));
      expect(await e.store.hasAdminToken()).toBe(true);
      await e.store.revokeToken({ id: admin.id, nowMs: 5, actor: 'a' });
      expect(await e.store.hasAdminToken()).toBe(false);
    });

    it('ensureSecret stores the first candidate and returns it to every later caller', async () => {
      const e = env();
      expect(await e.store.ensureSecret({ name: 'k', candidate: 'first', nowMs: 1 })).toBe('first');
      expect(await e.store.ensureSecret({ name: 'k', candidate: 'second', nowMs: 2 })).toBe('first');
      const raced = await Promise.all(['a', 'b', 'c'].map((c) => e.store.ensureSecret({ name: 'r', candidate: c, nowMs: 3 })));
      expect(new Set(raced).size).toBe(1);
      expect(await e.store.ensureSecret({ name: 'other', candidate: 'x', nowMs: 4 })).toBe('x');
    });
  });
}
