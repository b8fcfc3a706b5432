import { describe, expect, it } from 'vitest';
import type { EntityInfo } from '../core/index.js';
import { MemoryLogger } from '../core/index.js';
import { MultiwatcherStore } from './store.js';

const M1 = '11111111-1111-4111-8111-111111111111';
const M2 = '22222222-2222-4222-8222-222222222222';

function unit(id: string, data: Record<string, unknown> = {}, modelUUID = M1): EntityInfo {
  return { kind: 'unit', modelUUID, id, data };
}

function ids(store: MultiwatcherStore, since: number, model?: string): string[] {
  return store.changesSince(since, model).deltas.map((d) => `${d.removed ? '-' : '+'}${d.entity.id}`);
}

function entry(store: MultiwatcherStore, id: string) {
  return store.entries().find((e) => e.info.id === id);
}

describe('MultiwatcherStore basics', () => {
  it('starts at revision 0 and gives a new entity revno = creationRevno = latestRevno', () => {
    const s = new MultiwatcherStore();
    expect(s.latestRevno).toBe(0);
    s.update(unit('a/0'));
    s.update(unit('a/1'));
    expect(s.latestRevno).toBe(2);
    expect(entry(s, 'a/1')).toMatchObject({ revno: 2, creationRevno: 2, removed: false, refCount: 0 });
  });

  it('treats a deep-equal update as a no-op: no revision, no delta (key order and undefined keys ignored)', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0', { x: 1, y: [1, 2], z: undefined }));
    s.update(unit('a/0', { y: [1, 2], x: 1 }));
    expect(s.latestRevno).toBe(1);
    expect(ids(s, 1)).toEqual([]);
    s.update(unit('a/0', { y: [2, 1], x: 1 }));
    expect(s.latestRevno).toBe(2);
  });

  it('keeps creationRevno and refCount when a live entity changes', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0', { v: 1 }));
    s.addReference(0);
    s.update(unit('a/0', { v: 2 }));
    expect(entry(s, 'a/0')).toMatchObject({ revno: 2, creationRevno: 1, refCount: 1 });
  });

  it('ignores removal of an unknown entity and of a tombstone (no revision)', () => {
    const s = new MultiwatcherStore();
    s.remove(unit('nope'));
    expect(s.latestRevno).toBe(0);
    s.update(unit('a/0'));
    s.addReference(0);
    s.remove(unit('a/0'));
    s.remove(unit('a/0'));
    expect(s.latestRevno).toBe(2);
  });

  it('deletes an unheld entity on removal at once but consumes the revision', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0'));
    s.remove(unit('a/0'));
    expect(s.latestRevno).toBe(2);
    expect(s.size()).toBe(0);
    expect(s.get(unit('a/0'))).toBeUndefined();
  });

  it('keeps a held entity as a tombstone carrying its last info; get() still returns it', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0', { v: 1 }));
    s.addReference(0);
    s.update(unit('a/0', { v: 2 }));
    s.remove(unit('a/0'));
    expect(s.size()).toBe(1);
    expect(s.all()).toEqual([]);
    expect(s.get(unit('a/0'))?.data).toEqual({ v: 2 });
    expect(s.changesSince(1).deltas).toEqual([{ removed: true, entity: unit('a/0', { v: 2 }) }]);
  });

  it('coalesces per entity, orders by last change and never reports created-then-removed (spec §3 example)', () => {
    const s = new MultiwatcherStore();
    for (const id of ['p', 'r', 'filler']) s.update(unit(id, { v: 0 }));
    while (s.latestRevno < 10) s.update(unit('filler', { v: s.latestRevno }));
    s.addReference(0); // a watcher at 10 holds p, r, filler
    s.update(unit('p', { v: 11 }));
    s.update(unit('q'));
    s.update(unit('r', { v: 13 }));
    s.update(unit('p', { v: 14 }));
    s.remove(unit('q'));
    expect(s.latestRevno).toBe(15);
    const { deltas, latestRevno } = s.changesSince(10);
    expect(latestRevno).toBe(15);
    expect(deltas).toEqual([
      { removed: false, entity: unit('r', { v: 13 }) },
      { removed: false, entity: unit('p', { v: 14 }) },
    ]);
  });

  it('treats a negative revno as 0 and returns nothing at or after latestRevno', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0'));
    expect(ids(s, -5)).toEqual(['+a/0']);
    expect(ids(s, 1)).toEqual([]);
    expect(ids(s, 99)).toEqual([]);
  });

  it('returns deep copies and keeps a deep copy of what it is given', () => {
    const s = new MultiwatcherStore();
    const info = unit('a/0', { nested: { v: 1 } });
    s.update(info);
    (info.data.nested as { v: number }).v = 2;
    const d = s.changesSince(0).deltas[0]!;
    (d.entity.data.nested as { v: number }).v = 3;
    s.all()[0]!.data.x = 1;
    s.entries()[0]!.info.data.y = 1;
    expect(s.get(unit('a/0'))?.data).toEqual({ nested: { v: 1 } });
  });

  it('rejects a malformed info with a NotValid error and changes nothing', () => {
    const s = new MultiwatcherStore();
    expect(() => s.update({ kind: 'unit', modelUUID: M1, id: 'x', data: null } as unknown as EntityInfo)).toThrow(expect.objectContaining({ code: 'NotValid' }));
    expect(s.latestRevno).toBe(0);
    expect(() => new MultiwatcherStore({ retainRevisions: -1 })).toThrow(expect.objectContaining({ code: 'NotValid' }));
  });
});

describe('MultiwatcherStore references and tombstones', () => {
  it('skips tombstones the reader never held', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0'));
    s.addReference(0); // reader X at 1 holds a/0
    s.update(unit('b/0'));
    s.addReference(1); // reader Y at 3... moves 1 -> 2; Y holds a/0 and b/0
    s.remove(unit('a/0'));
    expect(ids(s, 1)).toEqual(['+b/0', '-a/0']);
    s.remove(unit('b/0'));
    expect(ids(s, 1)).toEqual(['-a/0']); // b/0 created after 1: never seen from 1
  });

  it('addReference counts newly seen entities and releases the tombstones the reader was told of', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0'));
    s.addReference(0);
    s.addReference(0); // two readers at 1
    s.remove(unit('a/0'));
    expect(entry(s, 'a/0')).toMatchObject({ removed: true, refCount: 2 });
    s.addReference(1);
    expect(entry(s, 'a/0')).toMatchObject({ refCount: 1 });
    s.addReference(1);
    expect(s.size()).toBe(0);
  });

  it('decReference releases what a leaving reader holds and collects tombstones at zero', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0'));
    s.update(unit('b/0'));
    s.addReference(0); // reader at 2
    s.remove(unit('a/0'));
    s.decReference(2);
    expect(s.size()).toBe(1);
    expect(entry(s, 'b/0')).toMatchObject({ refCount: 0 });
  });

  it('logs a negative reference count at error level and never throws', () => {
    const logger = new MemoryLogger();
    const s = new MultiwatcherStore({ logger });
    s.update(unit('a/0'));
    s.decReference(1);
    expect(entry(s, 'a/0')?.refCount).toBe(0);
    expect(logger.at('error').map((r) => r.msg)).toEqual(['programming error: negative reference count']);
  });

  it('fix 1: re-adding a removed entity with identical data resurrects it', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0', { v: 1 }));
    s.addReference(0);
    s.remove(unit('a/0'));
    s.update(unit('a/0', { v: 1 }));
    expect(s.latestRevno).toBe(3);
    expect(s.all()).toEqual([unit('a/0', { v: 1 })]);
    expect(ids(s, 1)).toEqual(['+a/0']);
    expect(entry(s, 'a/0')).toMatchObject({ creationRevno: 1, refCount: 1, removed: false });
  });

  it('fix 2: a reader that saw the removal and then the resurrection is counted and told of the final removal', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0'));
    s.addReference(0); // X at 1
    s.addReference(0); // Y at 1
    s.remove(unit('a/0')); // 2: tombstone, refCount 2
    s.addReference(1); // Y told: 1 -> 2, refCount 1 (X still holds it)
    s.update(unit('a/0', { back: true })); // 3: resurrection; Y at 2 lies in the removed interval [2, 3)
    expect(ids(s, 2)).toEqual(['+a/0']);
    s.addReference(2); // Y sees it again: counted
    expect(entry(s, 'a/0')?.refCount).toBe(2);
    s.remove(unit('a/0')); // 4
    expect(ids(s, 1)).toEqual(['-a/0']); // X
    s.addReference(1);
    expect(ids(s, 3)).toEqual(['-a/0']); // Y is still told: the tombstone was kept for it
    s.addReference(3);
    expect(s.size()).toBe(0);
  });

  it('a reader positioned inside a removed interval does not hold the entity', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0'));
    s.addReference(0); // X at 1
    s.remove(unit('a/0')); // 2
    s.update(unit('b/0')); // 3
    s.addReference(1); // X told of the removal, now at 3; a/0 deleted
    s.update(unit('a/0')); // 4: new entity (no tombstone was left)
    s.addReference(0); // Z at 4 holds a/0 and b/0
    s.remove(unit('a/0')); // 5
    expect(ids(s, 3)).toEqual([]); // X never saw the new a/0
  });

  it('model-scoped reads see only their model and never pin other models\u2019 tombstones', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0', {}, M1));
    s.update(unit('b/0', {}, M2));
    expect(ids(s, 0, M1)).toEqual(['+a/0']);
    s.addReference(0, M1);
    s.remove(unit('b/0', {}, M2));
    expect(s.size()).toBe(1); // b/0 unheld: deleted
    s.remove(unit('a/0', {}, M1));
    expect(ids(s, 2, M1)).toEqual(['-a/0']);
    expect(ids(s, 2, M2)).toEqual([]);
    s.decReference(2, M1);
    expect(s.size()).toBe(0);
    expect(ids(s, 0, '33333333-3333-4333-8333-333333333333')).toEqual([]);
  });

  it('addReader counts a resumed reader as holder of everything live at its position', () => {
    const s = new MultiwatcherStore({ retainRevisions: 10 });
    s.update(unit('a/0'));
    s.update(unit('b/0'));
    s.update(unit('c/0')); // created after the reader's position
    s.remove(unit('a/0')); // 4: retained, refCount 0
    s.addReader(2);
    expect(entry(s, 'a/0')).toMatchObject({ removed: true, refCount: 1 });
    expect(entry(s, 'c/0')?.refCount).toBe(0);
    expect(ids(s, 2)).toEqual(['+c/0', '-a/0']);
    expect(() => s.addReader(5)).toThrow(expect.objectContaining({ code: 'NotValid' }));
  });
});

describe('MultiwatcherStore retention', () => {
  it('keeps unreferenced tombstones inside the window and deletes them after, raising the floor', () => {
    const s = new MultiwatcherStore({ retainRevisions: 3 });
    s.update(unit('a/0'));
    s.remove(unit('a/0')); // 2
    expect(s.size()).toBe(1);
    expect(s.floor).toBe(0);
    s.update(unit('b/0')); // 3
    s.update(unit('b/0', { v: 1 })); // 4
    expect(s.size()).toBe(2);
    s.update(unit('b/0', { v: 2 })); // 5: latest - 2 = 3 >= window: deleted
    expect(s.size()).toBe(1);
    expect(s.floor).toBe(2);
  });

  it('behaves exactly as upstream with the default window of 0', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0'));
    s.remove(unit('a/0'));
    expect(s.size()).toBe(0);
    expect(s.floor).toBe(2);
  });

  it('drops a removed interval no reader stands in once it leaves the window', () => {
    const s = new MultiwatcherStore();
    s.update(unit('a/0'));
    s.addReference(0); // X at 1
    s.remove(unit('a/0')); // 2
    s.update(unit('a/0')); // 3: interval [2, 3), nobody at 2
    s.remove(unit('a/0')); // 4
    s.update(unit('a/0')); // 5: resurrection prunes [2, 3): floor raised to 3
    expect(s.floor).toBe(3);
    expect(ids(s, 1)).toEqual(['+a/0']);
  });
});

describe('sharedChangesSince', () => {
  const info = (id: string, v: number): EntityInfo => ({ kind: 'unit', modelUUID: '11111111-1111-4111-8111-111111111111', id, data: { v } });

  it('hands every reader the same delta object per entity revision, and copies stay copies', () => {
    const s = new MultiwatcherStore();
    s.update(info('a/0', 1));
    const [a] = s.sharedChangesSince(0).deltas;
    const [b] = s.sharedChangesSince(0, '11111111-1111-4111-8111-111111111111').deltas;
    expect(a).toBe(b);
    expect(s.changesSince(0).deltas[0]).not.toBe(a);
    expect(s.changesSince(0).deltas[0]).toEqual(a);
    s.update(info('a/0', 2));
    const [c] = s.sharedChangesSince(0).deltas;
    expect(c).not.toBe(a);
    expect(a?.entity.data).toEqual({ v: 1 }); // an earlier revision's object is never rewritten
    expect(c?.entity.data).toEqual({ v: 2 });
  });

  it('a removal is a new shared object with removed set, for the readers that held the entity', () => {
    const s = new MultiwatcherStore();
    s.update(info('a/0', 1));
    const [live] = s.sharedChangesSince(0).deltas;
    const r = s.latestRevno;
    s.addReference(0);
    s.remove({ kind: 'unit', modelUUID: '11111111-1111-4111-8111-111111111111', id: 'a/0' });
    const [gone] = s.sharedChangesSince(r).deltas;
    expect(gone).not.toBe(live);
    expect(gone?.removed).toBe(true);
    expect(live?.removed).toBe(false);
    expect(s.sharedChangesSince(r).deltas[0]).toBe(gone);
  });
});

describe('lazy holder counts', () => {
  const M = '11111111-1111-4111-8111-111111111111';
  const info = (id: string): EntityInfo => ({ kind: 'unit', modelUUID: M, id, data: {} });

  it('a reader joining at the latest revno holds every live entity without touching them, and keeps their tombstones', () => {
    const s = new MultiwatcherStore();
    for (let i = 0; i < 100; i++) s.update(info(`a/${i}`));
    const at = s.latestRevno;
    s.addReader(at); // controller-wide
    expect(s.entries().every((e) => e.refCount === 1)).toBe(true);
    s.remove({ kind: 'unit', modelUUID: M, id: 'a/7' });
    expect(s.entries().find((e) => e.info.id === 'a/7')).toMatchObject({ removed: true, refCount: 1 });
    expect(s.changesSince(at).deltas.map((d) => [d.entity.id, d.removed])).toEqual([['a/7', true]]);
    s.addReference(at);
    expect(s.size()).toBe(99); // told: the tombstone goes
    s.decReference(s.latestRevno);
    expect(s.entries().every((e) => e.refCount === 0)).toBe(true);
  });

  it('a reader leaving releases the tombstones of entries changed after it, and only those', () => {
    const s = new MultiwatcherStore();
    s.update(info('a/0'));
    s.update(info('b/0'));
    s.addReference(0, M); // model reader at 2
    s.addReader(2); // controller reader at 2
    s.update({ ...info('b/0'), data: { v: 1 } }); // both now hold b/0 explicitly
    expect(s.entries().map((e) => e.refCount)).toEqual([2, 2]);
    s.remove({ kind: 'unit', modelUUID: M, id: 'b/0' });
    s.decReference(2, M);
    expect(s.entries().map((e) => [e.info.id, e.refCount])).toEqual([['a/0', 1], ['b/0', 1]]);
    s.decReference(2);
    expect(s.size()).toBe(1);
  });
});
