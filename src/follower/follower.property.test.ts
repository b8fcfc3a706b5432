// Property: for any sequence of events, the follower's callbacks rebuild exactly the filtered view
// of the source — directly from scripted events, and through fromWatcher with reset snapshots.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Delta, EntityInfo } from '../core/index.js';
import { entityKey } from '../core/index.js';
import type { Follower } from './follower.js';
import { fromWatcher } from './from-watcher.js';
import { ScriptedSource, ScriptedWatcher, entityId, info } from './testing/index.js';
import { watchEntities } from './watch-entities.js';
import type { WatchEvent } from './watch-event.js';

const KINDS = ['machine', 'unit'] as const;
const IDS = ['a', 'b', '10', '9'] as const;
const filter = (e: EntityInfo): boolean => Number(e.data.v) % 3 !== 0;
// Reflexive and symmetric, and coarser than deep equality, so suppression really happens.
const equals = (a: EntityInfo, b: EntityInfo): boolean => Math.floor(Number(a.data.v) / 2) === Math.floor(Number(b.data.v) / 2);

const arbInfo = fc.record({ kind: fc.constantFrom(...KINDS), id: fc.constantFrom(...IDS), v: fc.integer({ min: 0, max: 7 }) }).map((r) => info(r.kind, r.id, { v: r.v }));
const arbId = fc.record({ kind: fc.constantFrom(...KINDS), id: fc.constantFrom(...IDS) }).map((r) => entityId(r.kind, r.id));
const arbEvent: fc.Arbitrary<WatchEvent> = fc.record({
  entities: fc.array(arbInfo, { maxLength: 6 }),
  tombstones: fc.array(arbId, { maxLength: 3 }),
  lastBacklogged: fc.option(fc.boolean(), { nil: undefined }),
}).map((e): WatchEvent => (e.lastBacklogged === undefined ? { entities: e.entities, tombstones: e.tombstones } : { ...e, lastBacklogged: e.lastBacklogged }));

/** A follower that holds what it is told and checks, after each batch, against `expected(batch)`. */
function checkingFollower(expected: (batch: number) => Map<string, EntityInfo>): { follower: Follower; batches: () => number } {
  const held = new Map<string, EntityInfo>();
  let batch = 0;
  const follower: Follower = {
    filter,
    equals,
    onNew: (e) => {
      expect(held.has(entityKey(e))).toBe(false);
      held.set(entityKey(e), e);
    },
    onUpdated: (prev, next) => {
      expect(held.get(entityKey(prev))).toBe(prev); // prev = last delivered
      expect(equals(prev, next)).toBe(false);
      held.set(entityKey(next), next);
    },
    onDeleted: (prev) => {
      expect(held.get(entityKey(prev))).toBe(prev);
      held.delete(entityKey(prev));
    },
    onBatchDone: () => {
      const want = expected(batch++);
      const filtered = [...want].filter(([, e]) => filter(e));
      expect([...held.keys()].sort()).toEqual(filtered.map(([k]) => k).sort());
      for (const [k, e] of filtered) expect(equals(held.get(k)!, e)).toBe(true);
    },
  };
  return { follower, batches: () => batch };
}

describe('follower property', () => {
  it('callbacks rebuild exactly the filtered view of the source, after every batch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbEvent, { maxLength: 25 }), async (events) => {
        const states: Array<Map<string, EntityInfo>> = [];
        const origin = new Map<string, EntityInfo>();
        for (const e of events) {
          for (const i of e.entities) origin.set(entityKey(i), i);
          for (const t of e.tombstones) origin.delete(entityKey(t));
          states.push(new Map(origin));
        }
        const { follower, batches } = checkingFollower((b) => states[b]!);
        await watchEntities(new ScriptedSource().push(...events).end(), follower);
        expect(batches()).toBe(events.length);
      }),
      { numRuns: 300 },
    );
  });

  it('through fromWatcher, reset snapshots report the deletions of the gap', async () => {
    // Steps: a plain batch of changes/removals against the server state, or a reset: a new snapshot.
    const arbStep = fc.oneof(
      fc.record({ reset: fc.constant(false as const), changes: fc.array(arbInfo, { maxLength: 4 }), removals: fc.array(arbId, { maxLength: 3 }) }),
      fc.record({ reset: fc.constant(true as const), snapshot: fc.uniqueArray(arbInfo, { selector: (e) => entityKey(e), maxLength: 6 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(arbInfo, { selector: (e) => entityKey(e), maxLength: 6 }), fc.array(arbStep, { maxLength: 15 }), async (initial, steps) => {
        const w = new ScriptedWatcher();
        const server = new Map(initial.map((e) => [entityKey(e), e]));
        const states = [new Map(server)];
        w.push(initial.map((entity) => ({ removed: false, entity })));
        let lastWasReset = false;
        for (const step of steps) {
          if (step.reset && !lastWasReset) {
            server.clear();
            for (const e of step.snapshot) server.set(entityKey(e), e);
            w.push(step.snapshot.map((entity) => ({ removed: false, entity })), { reset: true });
            lastWasReset = true;
          } else {
            const batch = new Map<string, Delta>();
            for (const c of step.reset ? step.snapshot : step.changes) {
              server.set(entityKey(c), c);
              batch.set(entityKey(c), { removed: false, entity: c });
            }
            for (const r of step.reset ? [] : step.removals) {
              const last = server.get(entityKey(r));
              if (last === undefined) continue; // a removal only for an entity the watcher holds
              server.delete(entityKey(r));
              batch.set(entityKey(r), { removed: true, entity: last });
            }
            w.push([...batch.values()]);
            lastWasReset = false;
          }
          states.push(new Map(server));
        }
        const { follower, batches } = checkingFollower((b) => states[b]!);
        const ac = new AbortController();
        const run = { settled: false };
        const done = watchEntities(fromWatcher(w), follower, { signal: ac.signal }).catch((e: unknown) => e).finally(() => (run.settled = true));
        while (batches() < states.length && !run.settled) await new Promise((r) => setImmediate(r));
        ac.abort('enough');
        expect(await done).toBe('enough'); // a failed check inside a callback would surface here
        expect(w.stopped).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
