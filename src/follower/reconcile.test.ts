import { describe, expect, it } from 'vitest';
import type { EntityInfo } from '../core/index.js';
import { entityKey as entityKeyOf, infoEquals } from '../core/index.js';
import type { FollowerCall, FollowerJudge, FollowerView } from './reconcile.js';
import { applyCall, originSlice, reconcile } from './reconcile.js';
import { M1, M2, entityId, info, show } from './testing/index.js';
import type { WatchEvent } from './watch-event.js';
import { KeyedWatchEvent } from './watch-event.js';

const all: FollowerJudge = { filter: () => true, equals: infoEquals };
const addressed: FollowerJudge = {
  filter: (e) => typeof e.data.address === 'string',
  equals: (a, b) => a.data.address === b.data.address,
};

function render(calls: FollowerCall[]): string[] {
  return calls.map((c) =>
    c.type === 'new' ? `new ${show(c.next)}` : c.type === 'updated' ? `updated ${show(c.prev)} -> ${JSON.stringify(c.next.data)}` : `deleted ${show(c.prev)}`,
  );
}

function ev(entities: EntityInfo[], tombstones = [] as WatchEvent['tombstones']): WatchEvent {
  return { entities, tombstones };
}

/** Runs events through reconcile+applyCall, returning the calls of each. */
function run(judge: FollowerJudge, events: WatchEvent[], view: FollowerView = new Map()): string[][] {
  return events.map((e) => {
    const calls = reconcile(view, e, judge);
    for (const c of calls) applyCall(view, c);
    return render(calls);
  });
}

describe('reconcile', () => {
  it('the spec example: updated and new in key order, then deleted, against the view', () => {
    const view: FollowerView = new Map();
    run(addressed, [ev([info('unit', 'a/0', { address: '.1' }), info('unit', 'b/0', { address: '.2' })])], view);
    const [calls] = run(addressed, [ev([info('unit', 'b/0'), info('unit', 'c/0', { address: '.3' }), info('unit', 'a/0', { address: '.9' })])], view);
    expect(calls).toEqual([
      'updated unit a/0 {"address":".1"} -> {"address":".9"}',
      'new unit c/0 {"address":".3"}',
      'deleted unit b/0 {"address":".2"}',
    ]);
  });

  it('filter transitions both ways: fail→pass is new, pass→fail is deleted with the last delivered version', () => {
    expect(
      run(addressed, [
        ev([info('unit', 'a/0')]),
        ev([info('unit', 'a/0', { address: '.1' })]),
        ev([info('unit', 'a/0', { address: '.1', other: 1 })]),
        ev([info('unit', 'a/0', { other: 2 })]),
        ev([info('unit', 'a/0', { other: 3 })]),
      ]),
    ).toEqual([[], ['new unit a/0 {"address":".1"}'], [], ['deleted unit a/0 {"address":".1"}'], []]);
  });

  it('suppressed changes never become prev, so small changes cannot drift unreported', () => {
    // equals: |a - b| < 2. Each step is 1, so step-by-step comparison would never report.
    const judge: FollowerJudge = { filter: () => true, equals: (a, b) => Math.abs(Number(a.data.v) - Number(b.data.v)) < 2 };
    expect(run(judge, [0, 1, 2, 3, 4].map((v) => ev([info('unit', 'a/0', { v })])))).toEqual([
      ['new unit a/0 {"v":0}'],
      [],
      ['updated unit a/0 {"v":0} -> {"v":2}'],
      [],
      ['updated unit a/0 {"v":2} -> {"v":4}'],
    ]);
  });

  it('re-entry: leaving removes the key from the view, so every return is new and every exit deleted', () => {
    const events = [
      ev([info('unit', 'a/0', { address: '.1' })]),
      ev([info('unit', 'a/0')]),
      ev([info('unit', 'a/0', { address: '.2' })]),
      ev([], [entityId('unit', 'a/0')]),
      ev([info('unit', 'a/0', { address: '.3' })]),
      ev([info('unit', 'a/0')]),
    ];
    expect(run(addressed, events).flat()).toEqual([
      'new unit a/0 {"address":".1"}',
      'deleted unit a/0 {"address":".1"}',
      'new unit a/0 {"address":".2"}',
      'deleted unit a/0 {"address":".2"}',
      'new unit a/0 {"address":".3"}',
      'deleted unit a/0 {"address":".3"}',
    ]);
  });

  it('key order is kind, then model, then id, by UTF-16 code units ("10" before "9")', () => {
    const view: FollowerView = new Map();
    run(all, [ev([info('unit', 'z'), info('machine', 'z')])], view);
    const [calls] = run(all, [
      ev(
        [info('unit', '9'), info('unit', '10'), info('unit', 'Z'), info('unit', 'a', {}, M2), info('machine', 'x'), info('unit', 'z', { v: 1 })],
        [entityId('machine', 'z')],
      ),
    ], view);
    expect(calls).toEqual([
      'new machine x {}',
      'new unit 10 {}',
      'new unit 9 {}',
      'new unit Z {}',
      'updated unit z {} -> {"v":1}',
      'new unit a {}', // model M2 sorts after M1
      'deleted machine z {}',
    ]);
  });

  it('within one event a later entry wins and a tombstone wins over an upsert', () => {
    const slice = originSlice(ev([info('unit', 'a', { v: 1 }), info('unit', 'b', { v: 1 }), info('unit', 'a', { v: 2 })], [entityId('unit', 'b')]));
    expect([...slice.values()].map((e) => e?.data)).toEqual([{ v: 2 }, undefined]);
    expect(run(all, [ev([info('unit', 'b')], [entityId('unit', 'b')])])).toEqual([[]]);
  });

  it('tombstones of filtered-out or never-seen entities yield no call', () => {
    const view: FollowerView = new Map();
    run(addressed, [ev([info('unit', 'hidden')])], view);
    expect(run(addressed, [ev([], [entityId('unit', 'hidden'), entityId('unit', 'never')])], view)).toEqual([[]]);
    expect(view.size).toBe(0);
  });

  it('reconcile is pure: it does not touch the view', () => {
    const view: FollowerView = new Map([[`unit\u0000${M1}\u0000a`, info('unit', 'a')]]);
    const before = [...view.entries()];
    reconcile(view, ev([info('unit', 'a', { v: 1 }), info('unit', 'b')], [entityId('unit', 'a')]), all);
    expect([...view.entries()]).toEqual(before);
  });

  it('filter and equals run only for the keys an event mentions (cost O(event), not O(view))', () => {
    let filters = 0;
    let equalss = 0;
    const judge: FollowerJudge = {
      filter: () => (filters++, true),
      equals: (a, b) => (equalss++, infoEquals(a, b)),
    };
    const view: FollowerView = new Map();
    run(judge, [ev(Array.from({ length: 1000 }, (_, i) => info('unit', `u/${i}`)))], view);
    filters = 0;
    equalss = 0;
    run(judge, [ev([info('unit', 'u/7', { v: 1 })], [entityId('unit', 'u/8')])], view);
    expect({ filters, equalss }).toEqual({ filters: 1, equalss: 1 });
  });

  it('equals is called as (lastDelivered, incoming)', () => {
    const seen: Array<[unknown, unknown]> = [];
    const judge: FollowerJudge = { filter: () => true, equals: (a, b) => (seen.push([a.data.v, b.data.v]), false) };
    run(judge, [ev([info('unit', 'a', { v: 1 })]), ev([info('unit', 'a', { v: 2 })])]);
    expect(seen).toEqual([[1, 2]]);
  });
});

describe('keys a source built in advance (KeyedWatchEvent)', () => {
  it('an entry replaced after the event was built is re-keyed, not reconciled under the stale key', () => {
    const a = info('unit', 'a', { v: 1 });
    const b = info('unit', 'b', { v: 1 });
    const c = info('unit', 'c', { v: 1 });
    const single = new KeyedWatchEvent([a], [], [a], [entityKeyOf(a)]);
    single.entities[0] = b; // changed after construction: the key built for a must not be used for b
    const batch = new KeyedWatchEvent([a, c], [], [a, c], [entityKeyOf(a), entityKeyOf(c)]);
    batch.entities[1] = b;
    expect(run(all, [single, batch])).toEqual([[`new ${show(b)}`], [`new ${show(a)}`]]);
    expect([...originSlice(batch).keys()]).toEqual([entityKeyOf(a), entityKeyOf(b)]);
  });
});
