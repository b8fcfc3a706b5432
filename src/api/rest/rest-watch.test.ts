import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deferred, flushMicrotasks } from '../../core/index.js';
import { ACCESS_CACHE_MS } from '../facades/index.js';
import { M1, M2, RestFixture } from './testdata/rest-fixture.js';
import { SseClient } from './testdata/sse-client.js';

let f: RestFixture;
let bob: string;
/** One per stream watcher started so far: settles when the server stops it (its stream ended). */
let watcherStops: Promise<void>[] = [];

async function startFixture(opts?: Parameters<typeof RestFixture.start>[0]): Promise<void> {
  f = await RestFixture.start(opts);
  bob = await f.bearer('bob');
  watcherStops = [];
  const watchModel = f.multiwatcher.watchModel.bind(f.multiwatcher);
  f.multiwatcher.watchModel = (uuid, o) => {
    const w = watchModel(uuid, o);
    const stop = w.stop.bind(w);
    const stopped = deferred<void>();
    watcherStops.push(stopped.promise);
    w.stop = () => {
      const p = stop();
      stopped.resolve();
      return p;
    };
    return w;
  };
}

/** Every stream watcher started so far has been stopped: awaited as an event, not polled. */
const allWatchersStopped = (): Promise<unknown> => Promise.all(watcherStops);

beforeEach(() => startFixture());
afterEach(async () => {
  await f.stop();
});

const numWatchers = (): number => f.multiwatcher.report()['num-watchers'] as number;

describe('REST SSE watch', () => {
  it('sends the snapshot with reset, then each batch as an event whose id is its revision', async () => {
    await f.state.update({ kind: 'machine', modelUUID: M1, id: '0', data: { life: 'alive' } });
    await f.state.update({ kind: 'machine', modelUUID: M2, id: '9', data: {} }); // another model: never seen
    const c = await SseClient.open(f.port, `/v1/models/${M1}/watch`, { authorization: bob });
    expect(c.res.statusCode).toBe(200);
    expect(c.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect((await c.next()).retry).toBe('2000');
    const first = await c.nextData();
    expect(first.data.reset).toBe(true);
    expect(first.id).toBe(String(first.data.revision));
    expect(first.data.deltas).toEqual([
      ['model', 'change', { name: 'one', owner: 'admin', 'model-uuid': M1 }],
      ['machine', 'change', { life: 'alive', 'model-uuid': M1, id: '0' }],
    ]);
    const rev = await f.state.update({ kind: 'unit', modelUUID: M1, id: 'mysql/0', data: { life: 'alive' } });
    const second = await c.nextData();
    expect(second).toEqual({ id: String(rev), event: undefined, data: { revision: rev, deltas: [['unit', 'change', { life: 'alive', 'model-uuid': M1, name: 'mysql/0' }]] } });
    c.close();
  });

  it('resumes after Last-Event-ID (or ?since=) with only the changes since, removals included', async () => {
    await f.state.update({ kind: 'machine', modelUUID: M1, id: '0', data: {} });
    await f.state.update({ kind: 'machine', modelUUID: M1, id: '1', data: {} });
    const c1 = await SseClient.open(f.port, `/v1/models/${M1}/watch`, { authorization: bob });
    const snap = await c1.nextData();
    c1.close();
    await allWatchersStopped();
    expect(numWatchers()).toBe(0);
    await f.state.remove({ kind: 'machine', modelUUID: M1, id: '0' });
    const rev = await f.state.update({ kind: 'machine', modelUUID: M1, id: '2', data: { n: 2 } });
    const c2 = await SseClient.open(f.port, `/v1/models/${M1}/watch`, { authorization: bob, 'last-event-id': snap.id ?? '' });
    const resumed = await c2.nextData();
    expect(resumed.data).toEqual({
      revision: rev,
      deltas: [['machine', 'remove', { 'model-uuid': M1, id: '0' }], ['machine', 'change', { n: 2, 'model-uuid': M1, id: '2' }]],
    });
    c2.close();
    const c3 = await SseClient.open(f.port, `/v1/models/${M1}/watch?since=${rev}`, { authorization: bob });
    const nothingNew = await c3.nextData();
    expect(nothingNew.data).toEqual({ revision: rev, deltas: [] });
    c3.close();
  });

  it('a resume point the store cannot serve gives a full snapshot flagged reset', async () => {
    const c = await SseClient.open(f.port, `/v1/models/${M1}/watch?since=999999`, { authorization: bob });
    const first = await c.nextData();
    expect(first.data.reset).toBe(true);
    expect((first.data.deltas as unknown[]).length).toBe(1);
    c.close();
  });

  it('refuses bad resume points, missing access and unknown models before streaming', async () => {
    for (const since of ['-1', 'x', '1.5']) {
      const c = await SseClient.open(f.port, `/v1/models/${M1}/watch?since=${since}`, { authorization: bob });
      expect(c.res.statusCode).toBe(400);
      c.close();
    }
    const carol = await SseClient.open(f.port, `/v1/models/${M1}/watch`, { authorization: await f.bearer('carol') });
    expect(carol.res.statusCode).toBe(403);
    carol.close();
    const unknown = await SseClient.open(f.port, '/v1/models/33333333-3333-4333-8333-333333333333/watch', { authorization: await f.bearer('admin') });
    expect(unknown.res.statusCode).toBe(404);
    unknown.close();
    const none = await SseClient.open(f.port, `/v1/models/${M1}/watch`, {});
    expect(none.res.statusCode).toBe(401);
    none.close();
    expect(numWatchers()).toBe(0);
  });

  it('sends a heartbeat comment every 15 s of the injected clock', async () => {
    const c = await SseClient.open(f.port, `/v1/models/${M1}/watch`, { authorization: bob });
    await c.nextData();
    f.clock.advance(15_000);
    expect((await c.next()).comment).toBe('heartbeat');
    f.clock.advance(15_000);
    expect((await c.next()).comment).toBe('heartbeat');
    c.close();
  });

  it('a client that goes away stops its watcher', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => SseClient.open(f.port, `/v1/models/${M1}/watch`, { authorization: bob })));
    for (const c of clients) await c.nextData();
    expect(numWatchers()).toBe(3);
    for (const c of clients) c.close();
    await allWatchersStopped();
    expect(numWatchers()).toBe(0);
    await flushMicrotasks(); // the route's own ending (and the gauge) follows the stop by a few promise hops
    expect(await f.registry.getSingleMetric('modelwatch_api_rest_sse_streams')?.get()).toMatchObject({ values: [{ value: 0 }] });
  });

  it('a user who loses access has the stream ended at the next heartbeat with "permission denied"', async () => {
    const c = await SseClient.open(f.port, `/v1/models/${M1}/watch`, { authorization: bob });
    await c.nextData();
    await f.auth.admin.revoke('bob', M1);
    f.clock.advance(15_000);
    const e = await c.nextData();
    expect(e).toEqual({ id: undefined, event: 'watch-error', data: { error: 'permission denied', code: 'PermissionDenied' } });
    await c.whenEnded();
    await allWatchersStopped();
    expect(numWatchers()).toBe(0);
  });

  it('heartbeat access re-checks go through the shared access cache: streams of one user cost one lookup, not one each', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => SseClient.open(f.port, `/v1/models/${M1}/watch`, { authorization: bob })));
    for (const c of clients) await c.nextData();
    const lookups = vi.spyOn(f.auth, 'modelAccess');
    f.clock.advance(15_000); // every stream re-checks at the same instant
    for (const c of clients) expect((await c.next()).comment).toBe('heartbeat');
    expect(lookups).toHaveBeenCalledTimes(1);
    for (const c of clients) c.close();
  });

  it('a revocation through the auth service ends the stream at the next heartbeat, even while the access cache holds a grant', async () => {
    await f.stop();
    await startFixture({ sseHeartbeatMs: ACCESS_CACHE_MS / 4 });
    const c = await SseClient.open(f.port, `/v1/models/${M1}/watch`, { authorization: bob });
    await c.nextData();
    f.clock.advance(ACCESS_CACHE_MS / 4);
    expect((await c.next()).comment).toBe('heartbeat'); // re-checked: a grant now cached
    await f.auth.admin.revoke('bob', M1); // bumps the auth service's accessEpoch
    f.clock.advance(ACCESS_CACHE_MS / 4); // well within the cached answer's lifetime
    const e = await c.nextData();
    expect(e).toEqual({ id: undefined, event: 'watch-error', data: { error: 'permission denied', code: 'PermissionDenied' } });
    c.close();
  });

  it('a client that stops reading parks its stream: no next() until the socket drains, then the latest state', async () => {
    // Count next() calls on the stream's watcher, and keep the latest one's promise.
    let nextCalls = 0;
    let lastNext: Promise<unknown> = Promise.resolve();
    const watchModel = f.multiwatcher.watchModel.bind(f.multiwatcher);
    f.multiwatcher.watchModel = (uuid, opts) => {
      const w = watchModel(uuid, opts);
      const next = w.next.bind(w);
      w.next = () => {
        nextCalls++;
        const p = next();
        lastNext = p.catch(() => undefined);
        return p;
      };
      return w;
    };
    const c = await SseClient.open(f.port, `/v1/models/${M1}/watch`, { authorization: bob });
    await c.nextData();
    c.res.pause(); // stop reading: kernel buffers fill, then res.write returns false
    const blob = 'x'.repeat(256 * 1024);
    let rev = 0;
    let i = 0;
    // One write at a time, each awaited through the stream: its pending next() resolves with the
    // batch, the stream writes it, and in the same turn either asks next() again or parks. Parked
    // counts once it holds across several writes (a write the kernel took late would un-park it).
    for (let parkedFor = 0; parkedFor < 5; i++) {
      if (i === 100) throw new Error('the stream never parked: 25 MiB written to a client that reads nothing');
      const calls = nextCalls;
      const pending = lastNext;
      rev = await f.state.update({ kind: 'item', modelUUID: M1, id: 'blob', data: { i, blob } });
      await pending;
      await flushMicrotasks();
      parkedFor = nextCalls === calls ? parkedFor + 1 : 0;
    }
    const parkedAt = nextCalls;
    // A watcher outside the stream tells when the multiwatcher has the later writes.
    const probe = watchModel(M1, { since: rev });
    await probe.next();
    for (const end = i + 20; i < end; i++) rev = await f.state.update({ kind: 'item', modelUUID: M1, id: 'blob', data: { i, blob } });
    while (probe.revision() < rev) await probe.next();
    await probe.stop();
    await flushMicrotasks();
    expect(nextCalls).toBe(parkedAt); // parked: the later writes are coalesced by the multiwatcher, not buffered here
    c.res.resume();
    let last: Record<string, unknown> = {};
    while (last.revision !== rev) last = (await c.nextData()).data;
    expect(last.deltas).toEqual([['item', 'change', { i: i - 1, blob, 'model-uuid': M1, id: 'blob' }]]);
    c.close();
  });
});
