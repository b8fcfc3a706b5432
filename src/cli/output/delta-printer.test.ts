import { describe, expect, it } from 'vitest';
import type { Delta } from '../../core/index.js';
import { compactDiff } from './compact-diff.js';
import { DeltaPrinter } from './delta-printer.js';

const M = '0b7e2c1a-4d5e-4f60-8a9b-1c2d3e4f5a6b';
const T = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const change = (kind: string, id: string, data: Record<string, unknown>): Delta => ({ removed: false, entity: { kind, modelUUID: M, id, data } });
const remove = (kind: string, id: string): Delta => ({ removed: true, entity: { kind, modelUUID: M, id, data: {} } });

describe('compactDiff', () => {
  it('shows new, changed and removed fields, nested objects as dotted paths', () => {
    expect(compactDiff(undefined, { life: 'alive', status: { current: 'active' } })).toBe('life=alive status.current=active');
    expect(compactDiff({ life: 'alive', a: 1, status: { current: 'active' } }, { life: 'dying', b: 'x y', status: { current: 'blocked' } }))
      .toBe('+b="x y" life=alive→dying status.current=active→blocked -a');
    expect(compactDiff({ a: [1, 2] }, { a: [1, 2] })).toBe('');
  });

  it('cuts long values so a delta stays on one line', () => {
    expect(compactDiff(undefined, { note: 'x'.repeat(200) }).length).toBeLessThan(60);
  });
});

describe('DeltaPrinter', () => {
  it('prints one line per delta with time, kind, op, id and the diff since the last state', () => {
    const p = new DeltaPrinter({ json: false, showModel: false, kinds: [] });
    expect(p.lines({ deltas: [change('unit', 'a/0', { life: 'alive' })], revision: 3, reset: true }, T)).toEqual([
      '03:04:05.678  unit         change  a/0  life=alive\n',
    ]);
    expect(p.lines({ deltas: [change('unit', 'a/0', { life: 'dying' }), remove('unit', 'a/0')], revision: 4, reset: false }, T)).toEqual([
      '03:04:05.678  unit         change  a/0  life=alive→dying\n',
      '03:04:05.678  unit         remove  a/0\n',
    ]);
  });

  it('a reset snapshot prints removals for entities that vanished and skips unchanged ones', () => {
    const p = new DeltaPrinter({ json: false, showModel: false, kinds: [] });
    p.lines({ deltas: [change('unit', 'a/0', { x: 1 }), change('unit', 'a/1', { x: 1 })], revision: 1, reset: true }, T);
    const lines = p.lines({ deltas: [change('unit', 'a/0', { x: 1 })], revision: 9, reset: true }, T);
    expect(lines).toEqual(['03:04:05.678  unit         remove  a/1\n']);
  });

  it('filters kinds and writes NDJSON with the revision', () => {
    const p = new DeltaPrinter({ json: true, showModel: true, kinds: ['machine'] });
    const lines = p.lines({ deltas: [change('unit', 'a/0', {}), change('machine', '0', { life: 'alive' })], revision: 7, reset: false }, T);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { time: '2025-01-02T03:04:05.678Z', revision: 7, model: M, kind: 'machine', op: 'change', id: '0', data: { life: 'alive' } },
    ]);
  });

  it('controller-wide lines carry the model', () => {
    const p = new DeltaPrinter({ json: false, showModel: true, kinds: [] });
    expect(p.lines({ deltas: [change('machine', '0', {})], revision: 1, reset: false }, T)[0]).toBe('03:04:05.678  0b7e2c1a  machine      change  0\n');
  });
});
