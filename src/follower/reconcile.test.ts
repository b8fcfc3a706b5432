import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Delta, EntityInfo } from '../core/index.js';
import { infoEquals } from '../core/index.js';
import type { FollowerCall, FollowerJudge, FollowerView } from './reconcile.js';
import { applyCall, emptyView, originSlice, reconcile, reconcileDeltas } from './reconcile.js';
import { M1, M2, entityId, info, show } from './testing/index.js';
import type { WatchEvent } from './watch-event.js';

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
function run(judge: FollowerJudge, events: WatchEvent[], view: FollowerView = emptyView()): string[][] {
  return events.map((e) => {
    const calls = reconcile(view, e, judge);
    for (const c of calls) applyCall(view, c);
    return render(calls);
  });
}

describe('reconcile', () => {
  it('the spec example: updated and new in key order, then deleted, against the view', () => {
    const view: FollowerView = emptyView();
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
    const view: FollowerView = emptyView();
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
    expect(slice.map((e) => [e.id.id, e.info?.data])).toEqual([['a', { v: 2 }], ['b', undefined]]);
    expect(run(all, [ev([info('unit', 'b')], [entityId('unit', 'b')])])).toEqual([[]]);
  });

  it('tombstones of filtered-out or never-seen entities yield no call', () => {
    const view: FollowerView = emptyView();
    run(addressed, [ev([info('unit', 'hidden')])], view);
    expect(run(addressed, [ev([], [entityId('unit', 'hidden'), entityId('unit', 'never')])], view)).toEqual([[]]);
    expect(view.size).toBe(0);
  });

  it('reconcile is pure: it does not touch the view', () => {
    const a = info('unit', 'a');
    const view: FollowerView = emptyView().set(a, a);
    reconcile(view, ev([info('unit', 'a', { v: 1 }), info('unit', 'b')], [entityId('unit', 'a')]), all);
    expect([...view.values()]).toEqual([a]);
    expect(view.get(a)).toBe(a);
  });

  it('filter and equals run only for the keys an event mentions (cost O(event), not O(view))', () => {
    let filters = 0;
    let equalss = 0;
    const judge: FollowerJudge = {
      filter: () => (filters++, true),
      equals: (a, b) => (equalss++, infoEquals(a, b)),
    };
    const view: FollowerView = emptyView();
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

describe('originSlice', () => {
  it('one entry per key, in key order, the last upsert or a tombstone deciding, whatever the input order', () => {
    const slice = originSlice(
      ev(
        [info('unit', 'b', { v: 1 }), info('machine', 'z'), info('unit', 'a', {}, M2), info('unit', 'b', { v: 2 }), info('unit', 'a', { v: 1 }), info('unit', 'c')],
        [entityId('unit', 'c'), entityId('unit', 'd'), entityId('unit', 'c')],
      ),
    );
    expect(slice.map((e) => `${e.id.kind} ${e.id.modelUUID === M1 ? 'M1' : 'M2'} ${e.id.id} ${JSON.stringify(e.info?.data)}`)).toEqual([
      'machine M1 z {}',
      'unit M1 a {"v":1}',
      'unit M1 b {"v":2}',
      'unit M1 c undefined',
      'unit M1 d undefined',
      'unit M2 a {}',
    ]);
  });

  it('an empty event mentions no key', () => {
    expect(originSlice(ev([]))).toEqual([]);
  });
});

describe('reconcileDeltas', () => {
  // The driven path reconciles a watcher's batch without building the event; a batch of one model
  // and kind sorts by id alone. Both must give exactly reconcile()'s calls for fromWatcher's event.
  const arbDelta = (kinds: string[], models: string[]): fc.Arbitrary<Delta> =>
    fc.record({ kind: fc.constantFrom(...kinds), model: fc.constantFrom(...models), id: fc.constantFrom('a', 'b', '10', '9', 'a/0'), v: fc.integer({ min: 0, max: 3 }), removed: fc.boolean() })
      // Separate string objects per delta, as rows from a database give them.
      .map((r) => ({ removed: r.removed, entity: info(r.kind.slice(0), r.id.slice(0), { v: r.v }, ` ${r.model}`.slice(1)) }));
  const judge: FollowerJudge = { filter: (e) => Number(e.data.v) !== 0, equals: (a, b) => a.data.v === b.data.v };
  const eventOf = (batch: Delta[]): WatchEvent => ev(batch.filter((d) => !d.removed).map((d) => d.entity), batch.filter((d) => d.removed).map((d) => d.entity));

  for (const [name, kinds, models] of [
    ['batches of one model and kind (the model watcher\'s case)', ['unit'], [M1]],
    ['batches mixing kinds and models', ['unit', 'machine'], [M1, M2]],
  ] as Array<[string, string[], string[]]>) {
    it(`gives reconcile()'s calls for the same batch as an event: ${name}`, () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.array(arbDelta(kinds, models), { maxLength: 8 }), fc.array(arbDelta(kinds, models), { minLength: 33, maxLength: 40 })), { maxLength: 6 }), (batches) => {
          const viaDeltas = emptyView();
          const viaEvent = emptyView();
          for (const batch of batches) {
            const a = reconcileDeltas(viaDeltas, batch, judge);
            const b = reconcile(viaEvent, eventOf(batch), judge);
            expect(render(a)).toEqual(render(b));
            for (const c of a) applyCall(viaDeltas, c);
            for (const c of b) applyCall(viaEvent, c);
          }
        }),
      );
    });
  }
});
