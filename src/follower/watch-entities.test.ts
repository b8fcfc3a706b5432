import { describe, expect, it } from 'vitest';
import { deferred, flushMicrotasks, hasCode } from '../core/index.js';
import { FollowerCallbackError } from './callback-error.js';
import type { Follower } from './follower.js';
import { simpleFollower } from './follower.js';
import { ScriptedSource, entityId, info, recordingFollower } from './testing/index.js';
import { watchEntities } from './watch-entities.js';

const addressed = { filter: (e: { data: Record<string, unknown> }) => typeof e.data.address === 'string' };

/** Settles a promise into a value/error pair, so a test can inspect a rejection. */
async function outcome(p: Promise<void>): Promise<{ ok: true } | { ok: false; err: unknown }> {
  try {
    await p;
    return { ok: true };
  } catch (err) {
    return { ok: false, err };
  }
}

describe('watchEntities: batches and synced', () => {
  it('onBatchDone runs once per event, even when nothing else fired', async () => {
    const src = new ScriptedSource();
    const rec = recordingFollower({ ...addressed, equals: (a, b) => a.data.address === b.data.address });
    src.push(
      { entities: [info('unit', 'a', { address: '.1' })], tombstones: [] },
      { entities: [], tombstones: [] }, // empty
      { entities: [info('unit', 'hidden')], tombstones: [] }, // filtered out
      { entities: [info('unit', 'a', { address: '.1', other: 1 })], tombstones: [] }, // suppressed
      { entities: [], tombstones: [entityId('unit', 'never')] }, // tombstone never followed
    ).end();
    await watchEntities(src, rec.follower);
    expect(rec.log).toEqual(['new unit a {"address":".1"}', 'batch', 'batch', 'batch', 'batch', 'batch']);
  });

  it('synced is false before the event with lastBacklogged, true from it on, across chunks', async () => {
    const src = new ScriptedSource();
    const rec = recordingFollower();
    src.push(
      { entities: [info('unit', 'a')], tombstones: [] },
      { entities: [info('unit', 'b')], tombstones: [] },
      { entities: [info('unit', 'c')], tombstones: [], lastBacklogged: true },
      { entities: [], tombstones: [entityId('unit', 'a')] },
      { entities: [info('unit', 'd')], tombstones: [], lastBacklogged: false }, // never goes back
    ).end();
    await watchEntities(src, rec.follower);
    expect(rec.log.filter((l) => l.startsWith('batch'))).toEqual(['batch', 'batch', 'batch synced', 'batch synced', 'batch synced']);
  });

  it('a source that never sets lastBacklogged leaves synced false', async () => {
    const src = new ScriptedSource().push({ entities: [], tombstones: [] }, { entities: [], tombstones: [] }).end();
    const rec = recordingFollower();
    await watchEntities(src, rec.follower);
    expect(rec.log).toEqual(['batch', 'batch']);
  });

  it('each onBatchDone gets a fresh { synced } object', async () => {
    const infos: object[] = [];
    const src = new ScriptedSource().push({ entities: [], tombstones: [], lastBacklogged: true }, { entities: [], tombstones: [] }).end();
    await watchEntities(src, simpleFollower({ onBatchDone: (i) => void infos.push(i) }));
    expect(infos).toHaveLength(2);
    expect(infos[0]).not.toBe(infos[1]);
  });

  it('callbacks get the very objects the source delivered', async () => {
    const a = info('unit', 'a');
    const got: unknown[] = [];
    await watchEntities(new ScriptedSource().push({ entities: [a], tombstones: [] }).end(), simpleFollower({ onNewUpdated: (e) => void got.push(e) }));
    expect(got[0]).toBe(a);
  });

  it('re-entry twice: each return is onNew, each exit onDeleted', async () => {
    const src = new ScriptedSource();
    const rec = recordingFollower(addressed);
    const a = (d: Record<string, unknown>) => ({ entities: [info('unit', 'a', d)], tombstones: [] });
    src.push(a({ address: '1' }), a({}), a({ address: '2' }), { entities: [], tombstones: [entityId('unit', 'a')] }, a({ address: '3' }), a({})).end();
    await watchEntities(src, rec.follower);
    expect(rec.log.filter((l) => l !== 'batch')).toEqual([
      'new unit a {"address":"1"}',
      'deleted unit a {"address":"1"}',
      'new unit a {"address":"2"}',
      'deleted unit a {"address":"2"}',
      'new unit a {"address":"3"}',
      'deleted unit a {"address":"3"}',
    ]);
  });

  it('a new call starts with an empty view: onNew again for everything', async () => {
    const rec = recordingFollower();
    const ev = { entities: [info('unit', 'a')], tombstones: [], lastBacklogged: true };
    await watchEntities(new ScriptedSource().push(ev).end(), rec.follower);
    await watchEntities(new ScriptedSource().push(ev).end(), rec.follower);
    expect(rec.log).toEqual(['new unit a {}', 'batch synced', 'new unit a {}', 'batch synced']);
  });
});

describe('watchEntities: sequencing', () => {
  it('callbacks run one at a time and the next event is pulled only after onBatchDone settled', async () => {
    const src = new ScriptedSource();
    const gate = deferred<void>();
    let running = 0;
    let maxRunning = 0;
    const rec = recordingFollower({
      hook: async (line) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (line === 'batch') await gate.promise;
        await flushMicrotasks();
        running--;
      },
    });
    src.push({ entities: [info('unit', 'a'), info('unit', 'b')], tombstones: [] }, { entities: [info('unit', 'c')], tombstones: [] }).end();
    const done = watchEntities(src, rec.follower);
    await flushMicrotasks();
    await flushMicrotasks();
    await flushMicrotasks();
    expect(rec.log).toEqual(['new unit a {}', 'new unit b {}', 'batch']);
    expect(src.pulls).toBe(1);
    gate.resolve();
    await done;
    expect(rec.log).toEqual(['new unit a {}', 'new unit b {}', 'batch', 'new unit c {}', 'batch']);
    expect(maxRunning).toBe(1);
  });
});

describe('watchEntities: errors and termination', () => {
  const cases = [
    { callback: 'onNew', entity: 'unit b', at: 'new unit b {"address":"2"}' },
    { callback: 'onUpdated', entity: 'unit a', at: 'updated unit a {"address":"1"} -> {"address":"9"}' },
    { callback: 'onDeleted', entity: 'unit c', at: 'deleted unit c {"address":"3"}' },
    { callback: 'onBatchDone', entity: undefined, at: 'batch synced' },
  ] as const;
  for (const c of cases) {
    for (const style of ['throws', 'rejects'] as const) {
      it(`${c.callback} that ${style} ends the watch: rest of the event and its onBatchDone skipped, source returned`, async () => {
        const src = new ScriptedSource();
        const cause = new Error('boom');
        const rec = recordingFollower({
          ...addressed,
          hook: (line) => {
            if (line !== c.at) return;
            if (style === 'throws') throw cause;
            return Promise.reject(cause);
          },
        });
        src.push({ entities: [info('unit', 'a', { address: '1' }), info('unit', 'c', { address: '3' })], tombstones: [], lastBacklogged: true });
        src.push({ entities: [info('unit', 'c'), info('unit', 'a', { address: '9' }), info('unit', 'b', { address: '2' }), info('unit', 'd', { address: '4' })], tombstones: [] });
        src.push({ entities: [info('unit', 'e', { address: '5' })], tombstones: [] });
        const r = await outcome(watchEntities(src, rec.follower));
        expect(r.ok).toBe(false);
        const err = (r as { err: unknown }).err;
        expect(err).toBeInstanceOf(FollowerCallbackError);
        const fe = err as FollowerCallbackError;
        expect(fe.message).toBe(c.entity === undefined ? `${c.callback}: boom` : `${c.callback} ${c.entity}: boom`);
        expect(fe.cause).toBe(cause);
        expect(fe.callback).toBe(c.callback);
        expect(fe.entity?.id).toBe(c.entity?.split(' ')[1]);
        expect(rec.log.at(-1)).toBe(c.at); // nothing after the failing callback
        expect(src.returns).toBe(1);
        expect(src.pulls).toBeLessThanOrEqual(2); // the third event is never pulled
      });
    }
  }

  it('a non-Error cause is rendered with String() and kept as is', async () => {
    const src = new ScriptedSource().push({ entities: [info('unit', 'mysql/0')], tombstones: [] });
    const r = await outcome(watchEntities(src, simpleFollower({ onNewUpdated: () => Promise.reject(42) })));
    const err = (r as { err: FollowerCallbackError }).err;
    expect(err.message).toBe('onNew unit mysql/0: 42');
    expect(err.cause).toBe(42);
  });

  it('simpleFollower reports errors under onUpdated for an update', async () => {
    let calls = 0;
    const src = new ScriptedSource().push({ entities: [info('unit', 'a')], tombstones: [] }, { entities: [info('unit', 'a', { v: 1 })], tombstones: [] });
    const f = simpleFollower({
      onNewUpdated: () => {
        if (calls++ === 1) throw new Error('second');
      },
    });
    const r = await outcome(watchEntities(src, f));
    expect((r as { err: Error }).err.message).toBe('onUpdated unit a: second');
  });

  it('a source that throws rejects with that error, unwrapped, and is not returned', async () => {
    const boom = new Error('backing gone');
    const src = new ScriptedSource().push({ entities: [], tombstones: [] }).fail(boom);
    const r = await outcome(watchEntities(src, recordingFollower().follower));
    expect((r as { err: unknown }).err).toBe(boom);
    expect(src.returns).toBe(0);
  });

  it('a source that completes resolves, and is not returned', async () => {
    const src = new ScriptedSource().push({ entities: [], tombstones: [] }).end();
    await expect(watchEntities(src, recordingFollower().follower)).resolves.toBeUndefined();
    expect(src.returns).toBe(0);
  });

  it('a malformed event rejects with a NotValid error and releases the source', async () => {
    const src = new ScriptedSource().push({ entities: 'nope' } as never);
    const r = await outcome(watchEntities(src, recordingFollower().follower));
    expect(hasCode((r as { err: unknown }).err, 'NotValid')).toBe(true);
    expect(src.returns).toBe(1);
  });

  it('missing source or follower (or a follower lacking a method) is NotValid with exact texts', async () => {
    const f = recordingFollower().follower;
    await expect(watchEntities(undefined as never, f)).rejects.toThrow('missing EntitySource not valid');
    await expect(watchEntities(new ScriptedSource(), undefined as never)).rejects.toThrow('missing Follower not valid');
    const partial: Partial<Follower> = { ...f };
    delete partial.onDeleted;
    await expect(watchEntities(new ScriptedSource(), partial as Follower)).rejects.toThrow('missing Follower.onDeleted not valid');
    await expect(watchEntities(new ScriptedSource(), f, { signal: 'x' as never })).rejects.toThrow('signal not valid: must be an AbortSignal');
  });
});

describe('watchEntities: cancellation', () => {
  it('already aborted: rejects with the reason, no callback, the source is not pulled', async () => {
    const src = new ScriptedSource().push({ entities: [info('unit', 'a')], tombstones: [] });
    const rec = recordingFollower();
    const reason = new Error('shutting down');
    const r = await outcome(watchEntities(src, rec.follower, { signal: AbortSignal.abort(reason) }));
    expect((r as { err: unknown }).err).toBe(reason);
    expect(src.pulls).toBe(0);
    expect(rec.log).toEqual([]);
  });

  it('aborted while waiting for the source: rejects promptly and returns the source', async () => {
    const src = new ScriptedSource().push({ entities: [info('unit', 'a')], tombstones: [] });
    const rec = recordingFollower();
    const ac = new AbortController();
    const p = outcome(watchEntities(src, rec.follower, { signal: ac.signal }));
    await flushMicrotasks();
    expect(src.waiting).toBe(true);
    const reason = { why: 'not an Error' };
    ac.abort(reason);
    const r = await p;
    expect((r as { err: unknown }).err).toBe(reason); // passed through as is
    expect(src.returns).toBe(1);
    expect(rec.log).toEqual(['new unit a {}', 'batch']);
  });

  it('abort() without a reason rejects with a DOMException named AbortError', async () => {
    const ac = new AbortController();
    const p = outcome(watchEntities(new ScriptedSource(), recordingFollower().follower, { signal: ac.signal }));
    await flushMicrotasks();
    ac.abort();
    const err = ((await p) as { err: unknown }).err;
    expect(err).toBeInstanceOf(DOMException);
    expect((err as DOMException).name).toBe('AbortError');
  });

  it('aborted during a callback: it is not interrupted, nothing further runs, no onBatchDone', async () => {
    const src = new ScriptedSource().push({ entities: [info('unit', 'a'), info('unit', 'b')], tombstones: [] });
    const ac = new AbortController();
    const gate = deferred<void>();
    let finished = false;
    const rec = recordingFollower({
      hook: async (line) => {
        if (line !== 'new unit a {}') return;
        ac.abort(new Error('stop'));
        await gate.promise;
        finished = true;
      },
    });
    const p = outcome(watchEntities(src, rec.follower, { signal: ac.signal }));
    await flushMicrotasks();
    let settled = false;
    void p.then(() => (settled = true));
    await flushMicrotasks();
    expect(settled).toBe(false); // waits for the running callback
    gate.resolve();
    const r = await p;
    expect(finished).toBe(true);
    expect(((r as { err: Error }).err).message).toBe('stop');
    expect(rec.log).toEqual(['new unit a {}']);
    expect(src.returns).toBe(1);
  });

  it('the abort reason wins over an error the callback throws afterwards', async () => {
    const src = new ScriptedSource().push({ entities: [info('unit', 'a')], tombstones: [] });
    const ac = new AbortController();
    const reason = new Error('aborted first');
    const f = simpleFollower({
      onNewUpdated: () => {
        ac.abort(reason);
        throw new Error('callback failed after');
      },
    });
    const r = await outcome(watchEntities(src, f, { signal: ac.signal }));
    expect((r as { err: unknown }).err).toBe(reason);
  });

  it('aborted during onBatchDone: rejects with the reason once it settles, next event not pulled', async () => {
    const src = new ScriptedSource().push({ entities: [], tombstones: [] }, { entities: [info('unit', 'a')], tombstones: [] });
    const ac = new AbortController();
    const f = simpleFollower({ onBatchDone: () => ac.abort('done') });
    const r = await outcome(watchEntities(src, f, { signal: ac.signal }));
    expect((r as { err: unknown }).err).toBe('done');
    expect(src.pulls).toBe(1);
  });
});

describe('watchEntities: simpleFollower', () => {
  it('onUpdated reaches onNewUpdated with the new version, and a replaced onUpdated is honoured', async () => {
    const src = new ScriptedSource();
    const log: string[] = [];
    const f = simpleFollower({ onNewUpdated: (e) => void log.push(`newUpdated ${String(e.data.v)}`) });
    src.push(
      { entities: [info('unit', 'a', { v: 1 })], tombstones: [] },
      { entities: [info('unit', 'a', { v: 2 })], tombstones: [] },
      { entities: [info('unit', 'a', { v: 3 })], tombstones: [] },
    ).end();
    let batches = 0;
    f.onBatchDone = () => {
      // After the second event, the follower object gets another onUpdated.
      if (++batches === 2) f.onUpdated = (prev, next) => void log.push(`replaced ${String(prev.data.v)}→${String(next.data.v)}`);
    };
    await watchEntities(src, f);
    expect(log).toEqual(['newUpdated 1', 'newUpdated 2', 'replaced 2→3']);
  });
});
