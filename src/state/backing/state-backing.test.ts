// StateBacking against a scripted source and a ManualClock: a failed read retries with back-off
// from the same revision; falling below the window surfaces ResyncRequired through changed();
// a lost ring only delays delivery until the poll.
import { expect, it } from 'vitest';
import { ManualClock, ModelwatchError, flushMicrotasks, hasCode } from '../../core/index.js';
import type { BackingChange, EntityInfo } from '../../core/index.js';
import type { Ring, StoredChange } from '../driver.js';
import { StateMetrics } from '../metrics.js';
import { StateBacking } from './state-backing.js';

const M = '00000000-0000-4000-8000-000000000001';
const row = (rev: number, id = 'x'): StoredChange => ({ rev, kind: 'machine', modelUUID: M, id, removed: false, at: 0 });

function scripted() {
  const log: StoredChange[] = [];
  let failNext: Error | undefined;
  let ring: ((r: Ring) => void) | undefined;
  const reads: number[] = [];
  const source = {
    readChangesAfter: (rev: number) => {
      reads.push(rev);
      if (failNext !== undefined) {
        const err = failNext;
        failNext = undefined;
        return Promise.reject(err);
      }
      return Promise.resolve({ rows: log.filter((r) => r.rev > rev), more: false });
    },
    snapshot: () => Promise.resolve({ rev: log.at(-1)?.rev ?? 0, entities: [] as EntityInfo[] }),
    get: () => Promise.resolve(undefined),
    subscribe: (fn: (r: Ring) => void) => {
      ring = fn;
      return () => (ring = undefined);
    },
  };
  return {
    source, log, reads,
    fail: (err: Error) => (failNext = err),
    ring: (r: Ring) => ring?.(r),
  };
}

function backingOf(src: ReturnType<typeof scripted>, clock: ManualClock) {
  const b = new StateBacking({
    source: src.source, clock, logger: { debug() {}, info() {}, warn() {}, error() {} }, metrics: new StateMetrics(undefined),
    pollIntervalMs: 1_000, retryMinMs: 100, retryMaxMs: 400, onRelease: () => undefined,
  });
  const seen: BackingChange[] = [];
  b.watch((c) => seen.push(c));
  return { b, seen };
}

const store = { update() {}, remove() {}, get: () => undefined };

it('a failed read retries with back-off from the same revision and loses nothing', async () => {
  const clock = new ManualClock(0);
  const src = scripted();
  src.log.push(row(1));
  const { b, seen } = backingOf(src, clock);
  expect(await b.getAll(store)).toBe(1);
  src.log.push(row(2), row(3));
  src.fail(new Error('connection terminated'));
  src.ring({ rev: 3 });
  await flushMicrotasks();
  expect(seen).toEqual([]);
  src.fail(new Error('connection terminated again'));
  await clock.advanceAsync(100); // first retry fails too
  expect(seen).toEqual([]);
  await clock.advanceAsync(150); // back-off doubled: nothing yet at 250 ms
  expect(seen).toEqual([]);
  await clock.advanceAsync(50); // 300 ms: second retry succeeds
  expect(seen.map((c) => c.rev)).toEqual([2, 3]);
  expect(src.reads.every((r) => r === 1)).toBe(true);
  expect(b.report()['read-errors']).toBe(2);
  await b.release();
});

it('a lost ring only delays delivery until the poll', async () => {
  const clock = new ManualClock(0);
  const src = scripted();
  const { b, seen } = backingOf(src, clock);
  await b.getAll(store);
  await flushMicrotasks();
  src.log.push(row(1)); // committed elsewhere; its NOTIFY is lost
  await clock.advanceAsync(999);
  expect(seen).toEqual([]);
  await clock.advanceAsync(1);
  expect(seen.map((c) => c.rev)).toEqual([1]);
  await b.release();
  expect(clock.pendingTimers()).toBe(0);
});

it('falling below the retention window surfaces ResyncRequired through changed, and getAll recovers', async () => {
  const clock = new ManualClock(0);
  const src = scripted();
  const { b, seen } = backingOf(src, clock);
  await b.getAll(store);
  src.fail(new ModelwatchError('ResyncRequired', 'compacted'));
  src.ring({});
  await flushMicrotasks();
  expect(seen).toHaveLength(1); // the wake-up that makes the worker call changed()
  const err = await b.changed(store, seen[0] as BackingChange).catch((x: unknown) => x);
  expect(hasCode(err, 'ResyncRequired')).toBe(true);
  src.log.push(row(1));
  expect(await b.getAll(store)).toBe(1);
  await b.changed(store, { kind: 'machine', modelUUID: M, id: 'x' });
  await b.release();
});

it('the in-process fast path delivers the exact rows of the next revision synchronously', async () => {
  const clock = new ManualClock(0);
  const src = scripted();
  const { b, seen } = backingOf(src, clock);
  await b.getAll(store);
  await flushMicrotasks();
  src.ring({ rev: 1, changes: [row(1, 'a'), row(1, 'b')] });
  expect(seen.map((c) => [c.rev, c.id])).toEqual([[1, 'a'], [1, 'b']]);
  src.ring({ rev: 1, changes: [row(1, 'a')] }); // already delivered: ignored
  expect(seen).toHaveLength(2);
  await b.release();
});
