import { describe, expect, it } from 'vitest';
import { EntityMap } from './entity-map.js';
import { M1, M2, entityId } from './testing/index.js';

describe('EntityMap', () => {
  it('keys by the whole identity: same id under another kind or model is another entry', () => {
    const m = new EntityMap<string>();
    m.set(entityId('unit', 'a'), 'unit M1');
    m.set(entityId('machine', 'a'), 'machine M1');
    m.set(entityId('unit', 'a', M2), 'unit M2');
    m.set({ kind: 'unit', modelUUID: M1, id: 'a' }, 'unit M1 again'); // another object, same identity
    expect(m.size).toBe(3);
    expect(m.get(entityId('unit', 'a'))).toBe('unit M1 again');
    expect(m.get(entityId('machine', 'a'))).toBe('machine M1');
    expect(m.get(entityId('unit', 'a', M2))).toBe('unit M2');
    expect(m.get(entityId('unit', 'b'))).toBeUndefined();
    expect(m.has(entityId('machine', 'b'))).toBe(false);
    expect([...m.values()].sort()).toEqual(['machine M1', 'unit M1 again', 'unit M2']);
  });

  it('delete removes one entry, prunes empty models and kinds, and lookups stay right after pruning', () => {
    const m = new EntityMap<number>();
    m.set(entityId('unit', 'a'), 1).set(entityId('unit', 'b'), 2).set(entityId('unit', 'a', M2), 3);
    expect(m.delete(entityId('unit', 'x'))).toBe(false);
    expect(m.delete(entityId('unit', 'a'))).toBe(true);
    expect(m.delete(entityId('unit', 'a'))).toBe(false);
    expect(m.delete(entityId('unit', 'b'))).toBe(true); // model M1's map is now empty and pruned (it was the last used)
    expect(m.size).toBe(1);
    expect(m.get(entityId('unit', 'b'))).toBeUndefined();
    m.set(entityId('unit', 'b'), 4); // a fresh M1 map, not the pruned one
    expect(m.get(entityId('unit', 'b'))).toBe(4);
    expect(m.get(entityId('unit', 'a', M2))).toBe(3);
    expect(m.delete(entityId('unit', 'a', M2))).toBe(true);
    expect(m.delete(entityId('unit', 'b'))).toBe(true);
    expect(m.size).toBe(0);
    expect([...m.values()]).toEqual([]);
  });

  it('clear empties it', () => {
    const m = new EntityMap<number>().set(entityId('unit', 'a'), 1);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.get(entityId('unit', 'a'))).toBeUndefined();
    m.set(entityId('unit', 'a'), 2);
    expect(m.get(entityId('unit', 'a'))).toBe(2);
  });
});
