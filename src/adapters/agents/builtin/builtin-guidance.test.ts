import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GuidanceInbox, GuidanceOutbox } from './builtin-guidance.js';

const base = mkdtempSync(join(tmpdir(), 'cortical-builtin-guidance-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('guidance files', () => {
  it('the inbox takes each message once, in order, and ignores temporary and foreign files', () => {
    const dir = join(base, 'g1');
    const outbox = new GuidanceOutbox(dir);
    const inbox = new GuidanceInbox(dir);
    expect(inbox.take()).toEqual([]);
    expect(inbox.pending()).toBe(false);
    outbox.write('first');
    outbox.write('second');
    writeFileSync(join(dir, '.000003.tmp'), 'half');
    writeFileSync(join(dir, 'notes.txt'), 'other');
    expect(inbox.pending()).toBe(true);
    expect(inbox.take()).toEqual(['first', 'second']);
    expect(inbox.take()).toEqual([]);
    outbox.write('third');
    expect(inbox.take()).toEqual(['third']);
    expect(readdirSync(dir).filter((n) => /^\d{6}\.txt$/.test(n))).toEqual(['000001.txt', '000002.txt', '000003.txt']);
  });

  it('a missing directory means no guidance', () => {
    const inbox = new GuidanceInbox(join(base, 'missing'));
    expect(inbox.take()).toEqual([]);
    expect(inbox.pending()).toBe(false);
  });
});
