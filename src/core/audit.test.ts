import { describe, expect, it } from 'vitest';
import { AUDIT_EVENT_TYPES, auditEntryOf } from './audit.js';
import { EVENT_TYPES, type EventType, type StoredEvent } from './events.js';

const ev = (type: EventType, data: Record<string, unknown>, ids: { taskId?: string; nodeId?: string } = {}): StoredEvent => ({
  seq: 7,
  at: 1000,
  type,
  taskId: ids.taskId ?? null,
  nodeId: ids.nodeId ?? null,
  data,
});

describe('audit entries', () => {
  it('every audited type is a known event type', () => {
    for (const t of AUDIT_EVENT_TYPES) expect(EVENT_TYPES).toContain(t);
  });

  it('leaves other events out', () => {
    expect(auditEntryOf(ev('iteration.finished', { iteration: 1 }, { taskId: 't1' }))).toBeNull();
    expect(auditEntryOf(ev('agent.event', { type: 'tool_call' }, { taskId: 't1' }))).toBeNull();
  });

  it.each<[EventType, Record<string, unknown>, { taskId?: string; nodeId?: string }, string | null, RegExp]>([
    ['task.created', { actor: 'admin:tok1', agent: 'codex' }, { taskId: 't1' }, 'admin:tok1', /created t1 \(agent codex\)/],
    ['task.control-requested', { actor: 'operator:o', desire: 'pause' }, { taskId: 't1' }, 'operator:o', /asked t1 to pause/],
    ['task.guided', { actor: 'admin:a', seq: 2 }, { taskId: 't1' }, 'admin:a', /guidance #2 to t1/],
    ['task.resleeved', { actor: 'admin:a', to: { agent: 'codex', model: null } }, { taskId: 't1' }, 'admin:a', /resleeved t1 to codex/],
    ['killswitch.changed', { actor: 'admin:a', on: true, reason: 'runaway spend' }, {}, 'admin:a', /kill switch ON: runaway spend/],
    ['killswitch.changed', { actor: 'admin:a', on: false, reason: null }, {}, 'admin:a', /kill switch off/],
    ['budget.changed', { actor: 'admin:a', project: 'web', dailyUsd: 5, dailyTokens: null }, {}, 'admin:a', /project web daily budget to \$5\.00/],
    ['budget.changed', { actor: 'admin:a', fleet: true, dailyUsd: 50, dailyTokens: 1000 }, {}, 'admin:a', /fleet daily budget to \$50\.00 \/ 1000 tokens/],
    ['token.created', { actor: 'admin:a', tokenId: 'tok9', kind: 'api', role: 'viewer' }, {}, 'admin:a', /issued a api token tok9 \(viewer\)/],
    ['node.joined', { name: 'mini' }, { nodeId: 'n1' }, 'node:n1', /node n1 joined/],
    ['lease.rejected', { why: 'stale_token' }, { taskId: 't1', nodeId: 'n2' }, 'node:n2', /stale write to t1 from n2: stale_token/],
    ['plan.refused', { actor: 'admin:a', verdict: { allowed: false, code: 'TRIPCODE_REQUIRED', reason: 'T3 needs a tripcode.' } }, {}, 'admin:a', /refused a request \(TRIPCODE_REQUIRED\): T3 needs a tripcode\./],
    ['node.cordoned', { actor: 'admin:a', from: 'active', to: 'cordoned' }, { nodeId: 'n1' }, 'admin:a', /cordoned n1/],
  ])('%s → actor and summary', (type, data, ids, actor, summary) => {
    const entry = auditEntryOf(ev(type, data, ids));
    expect(entry).not.toBeNull();
    expect(entry!.actor).toBe(actor);
    expect(entry!.summary).toMatch(summary);
    expect(entry!.seq).toBe(7);
    expect(entry!.data).toEqual(data);
  });
});
