import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anchorOf, anchorsFileText, moveBack, moveIn, recoverPoolDir } from './re-anchor.js';

describe('re-anchoring', () => {
  const root = mkdtempSync(join(tmpdir(), 'cortical-re-anchor-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const anchor = join(root, 'workspaces');
  const slot = join(root, 'pool', 'e1', '0');
  mkdirSync(anchor, { recursive: true });
  mkdirSync(slot, { recursive: true });

  it('finds direct children of anchors only', () => {
    expect(anchorOf(join(anchor, 't1'), [root, anchor])).toEqual({ index: 1, name: 't1' });
    expect(anchorOf(join(anchor, 't1', 'sub'), [anchor])).toBeNull();
    expect(anchorOf(anchor, [anchor])).toBeNull();
  });

  it('moves a directory into a slot behind a link and back', () => {
    const original = join(anchor, 'task-a');
    mkdirSync(original);
    writeFileSync(join(original, 'f'), 'x');
    const moved = { original, moved: join(slot, 'task-a') };
    moveIn([moved]);
    expect(lstatSync(original).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(original, 'f'), 'utf8')).toBe('x');
    writeFileSync(join(moved.moved, 'g'), 'y');
    expect(moveBack([moved])).toEqual([]);
    expect(lstatSync(original).isDirectory()).toBe(true);
    expect(readdirSync(original).sort()).toEqual(['f', 'g']);
    expect(readdirSync(slot)).toEqual([]);
  });

  it('moves nothing when one of several paths cannot be moved', () => {
    const a = join(anchor, 'task-b');
    mkdirSync(a);
    expect(() => moveIn([{ original: a, moved: join(slot, 'task-b') }, { original: join(anchor, 'missing'), moved: join(slot, 'missing') }])).toThrow();
    expect(lstatSync(a).isDirectory()).toBe(true);
    expect(readdirSync(slot)).toEqual([]);
  });

  it('keeps a directory made meanwhile at the original path and puts the moved one next to it', () => {
    const original = join(anchor, 'task-c');
    mkdirSync(original);
    const moved = { original, moved: join(slot, 'task-c') };
    moveIn([moved]);
    rmSync(original);
    mkdirSync(original);
    expect(moveBack([moved])).toEqual([]);
    expect(lstatSync(original).isDirectory()).toBe(true);
    expect(lstatSync(`${original}.recovered-1`).isDirectory()).toBe(true);
  });

  it('recovers slots of a pool directory and leaves entries without anchors file alone', () => {
    const pool = join(root, 'pool2');
    const e = join(pool, 'warm-x');
    mkdirSync(join(e, '0'), { recursive: true });
    writeFileSync(join(e, 'anchors.json'), anchorsFileText([anchor]));
    const original = join(anchor, 'task-d');
    mkdirSync(original);
    moveIn([{ original, moved: join(e, '0', 'task-d') }]);
    const unknown = join(pool, 'warm-y', '0', 'task-e');
    mkdirSync(unknown, { recursive: true });
    const planted = join(e, '0', 'task-planted'); // made by a sleeve, no claim behind it
    mkdirSync(planted);
    const report = recoverPoolDir(pool);
    expect(report.movedBack).toEqual([original]);
    expect([...report.failed].sort()).toEqual([planted, unknown].sort());
    expect(lstatSync(original).isDirectory()).toBe(true);
    expect(existsSync(join(anchor, 'task-planted'))).toBe(false);
    expect(readdirSync(pool).sort()).toEqual(['warm-x', 'warm-y']);
  });

  it('never moves back a link put in place of the moved directory', () => {
    const original = join(anchor, 'task-f');
    mkdirSync(original);
    const moved = { original, moved: join(slot, 'task-f') };
    moveIn([moved]);
    rmSync(moved.moved, { recursive: true });
    symlinkSync('/etc', moved.moved);
    expect(moveBack([moved])).toEqual([moved.moved]);
    expect(existsSync(original)).toBe(false);
    expect(lstatSync(moved.moved).isSymbolicLink()).toBe(true);
    rmSync(moved.moved);
  });
});
