import { describe, expect, it } from 'vitest';
import { flushMicrotasks, hasCode } from '../core/index.js';
import type { EntityInfo } from '../core/index.js';
import { ScriptedSource, entityId, info } from './testing/index.js';
import { watchEntity } from './watch-entity.js';

const A = entityId('unit', 'mysql/0');
const up = (data: Record<string, unknown>, ...others: EntityInfo[]) => ({ entities: [...others, info('unit', 'mysql/0', data)], tombstones: [] });
const gone = { entities: [], tombstones: [A] };

describe('watchEntity', () => {
  it('waits until the entity first exists: a backlog without it and a tombstone for it are ignored', async () => {
    const src = new ScriptedSource().push({ entities: [info('unit', 'other')], tombstones: [], lastBacklogged: true }, gone, up({ v: 1 }));
    const w = watchEntity(src, A);
    expect(w.entity()).toBeUndefined();
    expect(await w.next()).toBe(true);
    expect(w.entity()?.data).toEqual({ v: 1 });
    expect(src.pulls).toBe(3);
  });

  it('one true next() per event that mentions it, no equality suppression; others consumed silently', async () => {
    const src = new ScriptedSource().push(up({ v: 1 }), { entities: [info('unit', 'x')], tombstones: [] }, up({ v: 1 }), up({ v: 2 }));
    const w = watchEntity(src, A);
    const seen: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await w.next()).toBe(true);
      seen.push(w.entity()?.data);
    }
    expect(seen).toEqual([{ v: 1 }, { v: 1 }, { v: 2 }]);
  });

  it('the last entry for the key wins; a tombstone wins over an upsert', async () => {
    const src = new ScriptedSource().push({ entities: [info('unit', 'mysql/0', { v: 1 }), info('unit', 'mysql/0', { v: 2 })], tombstones: [] });
    src.push({ entities: [info('unit', 'mysql/0', { v: 3 })], tombstones: [A] });
    const w = watchEntity(src, A);
    expect(await w.next()).toBe(true);
    expect(w.entity()?.data).toEqual({ v: 2 });
    expect(await w.next()).toBe(true);
    expect(w.entity()).toBeUndefined();
  });

  it('deletion is terminal: true with undefined, then false forever, no error, source released', async () => {
    const src = new ScriptedSource().push(up({ v: 1 }), gone, up({ v: 2 }));
    const w = watchEntity(src, A);
    expect(await w.next()).toBe(true);
    const kept = w.entity();
    expect(await w.next()).toBe(true);
    expect(w.entity()).toBeUndefined();
    expect(await w.next()).toBe(false);
    expect(await w.next()).toBe(false);
    expect(w.error()).toBeUndefined();
    expect(src.returns).toBe(1);
    expect(kept?.data).toEqual({ v: 1 }); // returned infos are never mutated
  });

  it('close(): a pending next() resolves false, error is "watcher closed", the source is returned once', async () => {
    const src = new ScriptedSource();
    const w = watchEntity(src, A);
    const pending = w.next();
    await flushMicrotasks();
    w.close();
    w.close();
    expect(await pending).toBe(false);
    expect(w.error()?.message).toBe('watcher closed');
    expect(src.returns).toBe(1);
  });

  it('next() calls made while one is pending are queued and answered in order', async () => {
    const src = new ScriptedSource();
    const w = watchEntity(src, A);
    const answers: string[] = [];
    const p1 = w.next().then((r) => answers.push(`1:${r}:${String(w.entity()?.data.v)}`));
    const p2 = w.next().then((r) => answers.push(`2:${r}:${String(w.entity()?.data.v)}`));
    const p3 = w.next().then((r) => answers.push(`3:${r}`));
    await flushMicrotasks();
    src.push(up({ v: 1 }));
    await flushMicrotasks();
    src.push(up({ v: 2 }));
    await flushMicrotasks();
    w.close();
    await Promise.all([p1, p2, p3]);
    expect(answers).toEqual(['1:true:1', '2:true:2', '3:false']);
  });

  it('abort: pending next() resolves false and error() is the reason; already aborted ends at once', async () => {
    const ac = new AbortController();
    const src = new ScriptedSource();
    const w = watchEntity(src, A, { signal: ac.signal });
    const pending = w.next();
    await flushMicrotasks();
    const reason = new Error('bye');
    ac.abort(reason);
    expect(await pending).toBe(false);
    expect(w.error()).toBe(reason);
    expect(src.returns).toBe(1);

    const src2 = new ScriptedSource().push(up({}));
    const w2 = watchEntity(src2, A, { signal: AbortSignal.abort(reason) });
    expect(await w2.next()).toBe(false);
    expect(w2.error()).toBe(reason);
    expect(src2.pulls).toBe(0);
  });

  it('a source that throws (even on the first pull) ends the watch with its error; next() never rejects', async () => {
    const boom = new Error('could not open');
    const src = new ScriptedSource().fail(boom);
    const w = watchEntity(src, A);
    expect(await w.next()).toBe(false);
    expect(w.error()).toBe(boom);
    w.close(); // the first outcome is kept
    expect(w.error()).toBe(boom);
    expect(src.returns).toBe(0);
  });

  it('a source that completes ends the watch with "entity source ended"', async () => {
    const w = watchEntity(new ScriptedSource().push(up({})).end(), A);
    expect(await w.next()).toBe(true);
    expect(await w.next()).toBe(false);
    expect(w.error()?.message).toBe('entity source ended');
  });

  it('async iteration yields each state, the last undefined on deletion, and ends', async () => {
    const src = new ScriptedSource().push(up({ v: 1 }), up({ v: 2 }), gone);
    const seen: unknown[] = [];
    for await (const e of watchEntity(src, A)) seen.push(e?.data);
    expect(seen).toEqual([{ v: 1 }, { v: 2 }, undefined]);
  });

  it('async iteration throws the error of a failed watch, but not "watcher closed"', async () => {
    const boom = new Error('lost');
    const failing = watchEntity(new ScriptedSource().push(up({})).fail(boom), A);
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const e of failing) seen.push(e?.data);
      })(),
    ).rejects.toBe(boom);
    expect(seen).toEqual([{}]);

    const closing = watchEntity(new ScriptedSource().push(up({}), up({ v: 1 })), A);
    const items: unknown[] = [];
    for await (const e of closing) {
      items.push(e?.data);
      closing.close();
    }
    expect(items).toEqual([{}]);
  });

  it('leaving a for-await loop early closes the watch and releases the source', async () => {
    const src = new ScriptedSource().push(up({ v: 1 }), up({ v: 2 }));
    const w = watchEntity(src, A);
    for await (const _ of w) break;
    expect(w.error()?.message).toBe('watcher closed');
    expect(src.returns).toBe(1);
  });

  it('is disposable: `using` closes it at the end of the scope', async () => {
    const src = new ScriptedSource().push(up({}));
    let outer: ReturnType<typeof watchEntity> | undefined;
    {
      using w = watchEntity(src, A);
      outer = w;
      expect(await w.next()).toBe(true);
    }
    expect(outer.error()?.message).toBe('watcher closed');
    expect(src.returns).toBe(1);
  });

  it('takes the source iterator at once, so close() before any next() still releases it', () => {
    const src = new ScriptedSource();
    const w = watchEntity(src, A);
    expect(src.iterators).toBe(1);
    w.close();
    expect(src.returns).toBe(1);
    expect(src.pulls).toBe(0);
  });

  it('bad input is a NotValid error, thrown at once', () => {
    expect(() => watchEntity(new ScriptedSource(), { kind: 'unit', modelUUID: 'nope', id: 'x' })).toThrow(/modelUUID/);
    let err: unknown;
    try {
      watchEntity(undefined as never, A);
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'NotValid')).toBe(true);
  });
});
