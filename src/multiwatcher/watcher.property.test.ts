// Property: random interleavings of updates, removes, commits, nexts, stops and resumes over several
// watchers. After every next, the watcher's view rebuilt from its batches equals the store's live set
// of its scope; at every quiet point each entry's refCount is exactly the number of live watchers
// whose view holds it, and no tombstone is left that no watcher needs (beyond the retention window).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackingChange, BackingStore, EntityInfo } from '../core/index.js';
import { compareEntityIds, entityKey, ManualClock, nullLogger } from '../core/index.js';
import { MultiwatcherStore } from './store.js';
import { DeltaView, MemoryBacking, MODEL_1, MODEL_2, MODEL_3, settle } from './testing/index.js';
import type { Watcher } from './watcher.js';
import { MultiwatcherWorker } from './worker.js';

const MODELS = [MODEL_1, MODEL_2, MODEL_3];

/** A MemoryBacking that remembers the store it fills, so the test can inspect it. */
class SpyBacking extends MemoryBacking {
  store: MultiwatcherStore | undefined;
  override getAll(store: BackingStore): Promise<number | void> {
    if (store instanceof MultiwatcherStore) this.store = store;
    return super.getAll(store);
  }
  override changed(store: BackingStore, change: BackingChange): Promise<void> {
    if (store instanceof MultiwatcherStore) this.store = store;
    return super.changed(store, change);
  }
}

type Write = { t: 'update'; m: number; id: number; v: number } | { t: 'remove'; m: number; id: number };
type Op =
  | Write
  | { t: 'commit'; writes: Write[] }
  | { t: 'watch'; scope: number }
  | { t: 'next'; w: number }
  | { t: 'nextAll' }
  | { t: 'stop'; w: number }
  | { t: 'resume'; w: number }
  | { t: 'hold' }
  | { t: 'settle' };

const writeArb: fc.Arbitrary<Write> = fc.oneof(
  fc.record({ t: fc.constant('update' as const), m: fc.nat(2), id: fc.nat(2), v: fc.nat(2) }),
  fc.record({ t: fc.constant('remove' as const), m: fc.nat(2), id: fc.nat(2) }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: writeArb },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('commit' as const), writes: fc.array(writeArb, { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('watch' as const), scope: fc.integer({ min: -1, max: 2 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('next' as const), w: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'nextAll' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('stop' as const), w: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('resume' as const), w: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'hold' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'settle' as const }) },
);

interface Tracked {
  watcher: Watcher;
  scope: string | undefined;
  view: DeltaView;
  stopped: boolean;
  pending: boolean;
  batches: number;
  /** A resumed watcher whose first batch has not arrived: it may hold its old view or nothing. */
  unresolvedResume: boolean;
}

function info(m: number, id: number, v: number): EntityInfo {
  return { kind: 'unit', modelUUID: MODELS[m]!, id: `u/${id}`, data: { v } };
}

function liveOf(store: MultiwatcherStore, scope: string | undefined): EntityInfo[] {
  return store.all().filter((e) => scope === undefined || e.modelUUID === scope).sort(compareEntityIds);
}

async function runScenario(scopes: number[], ops: Op[], retainRevisions: number, revisions: boolean): Promise<void> {
  const backing = new SpyBacking({ revisions });
  const worker = new MultiwatcherWorker({ clock: new ManualClock(), logger: nullLogger, backing, retainRevisions });
  const tracked: Tracked[] = [];
  const failures: string[] = [];
  let release: (() => void) | undefined;

  const write = (w: Write, tx: { update(i: EntityInfo): void; remove(i: EntityInfo): void }): void => {
    if (w.t === 'update') tx.update(info(w.m, w.id, w.v));
    else tx.remove(info(w.m, w.id, 0));
  };
  const askNext = (t: Tracked): void => {
    if (t.stopped || t.pending) return;
    t.pending = true;
    t.watcher.next().then(
      (batch) => {
        t.pending = false;
        try {
          if (t.batches === 0 && t.watcher.wasReset()) t.view.replace(batch);
          else t.view.apply(batch);
          if (t.batches > 0 && batch.length === 0) failures.push('empty batch after the first');
        } catch (err) {
          failures.push(String(err));
        }
        t.batches++;
        t.unresolvedResume = false;
        const store = backing.store;
        if (store !== undefined) {
          const want = JSON.stringify(liveOf(store, t.scope));
          const got = JSON.stringify(t.view.list());
          if (want !== got) failures.push(`view ${got} != store ${want}`);
        }
      },
      (err: unknown) => {
        t.pending = false;
        if (!t.stopped) failures.push(`unexpected rejection ${String(err)}`);
      },
    );
  };
  const checkReferences = (): void => {
    const store = backing.store;
    if (store === undefined || tracked.some((t) => !t.stopped && t.unresolvedResume)) return;
    const holders = new Map<string, number>();
    for (const t of tracked) {
      if (t.stopped) continue;
      for (const e of t.view.list()) holders.set(entityKey(e), (holders.get(entityKey(e)) ?? 0) + 1);
    }
    for (const e of store.entries()) {
      const want = holders.get(entityKey(e.info)) ?? 0;
      if (e.refCount !== want) failures.push(`refCount of ${e.info.modelUUID}/${e.info.id} is ${e.refCount}, ${want} watchers hold it`);
      if (e.removed && e.refCount === 0 && store.latestRevno - e.revno >= retainRevisions) failures.push(`needless tombstone ${e.info.id}`);
    }
  };
  const quiet = async (): Promise<void> => {
    release?.();
    release = undefined;
    await settle(worker);
    checkReferences();
  };

  try {
    for (const op of [...scopes.map((scope): Op => ({ t: 'watch', scope })), ...ops]) {
      const live = tracked.filter((t) => !t.stopped);
      switch (op.t) {
        case 'update':
        case 'remove':
          write(op, { update: (i) => backing.update(i), remove: (i) => backing.remove(i) });
          break;
        case 'commit':
          backing.commit((tx) => {
            for (const w of op.writes) write(w, tx);
          });
          break;
        case 'watch': {
          const scope = op.scope < 0 ? undefined : MODELS[op.scope];
          const watcher = scope === undefined ? worker.watchController() : worker.watchModel(scope);
          tracked.push({ watcher, scope, view: new DeltaView(), stopped: false, pending: false, batches: 0, unresolvedResume: false });
          break;
        }
        case 'next': {
          const t = live[op.w % Math.max(1, live.length)];
          if (t !== undefined) askNext(t);
          break;
        }
        case 'nextAll':
          for (const t of live) askNext(t);
          break;
        case 'stop': {
          const t = live[op.w % Math.max(1, live.length)];
          if (t === undefined) break;
          t.stopped = true;
          await t.watcher.stop();
          break;
        }
        case 'resume': {
          const gone = tracked.filter((t) => t.stopped && t.batches > 0 && !t.pending);
          const old = gone[op.w % Math.max(1, gone.length)];
          if (old === undefined) break;
          const opts = { since: old.watcher.revision() };
          const watcher = old.scope === undefined ? worker.watchController(opts) : worker.watchModel(old.scope, opts);
          const view = new DeltaView();
          view.apply(old.view.list().map((entity) => ({ removed: false, entity })));
          const t: Tracked = { watcher, scope: old.scope, view, stopped: false, pending: false, batches: 0, unresolvedResume: true };
          tracked.push(t);
          askNext(t);
          break;
        }
        case 'hold':
          if (release === undefined) release = backing.hold();
          else {
            release();
            release = undefined;
          }
          break;
        case 'settle':
          await quiet();
          break;
      }
      if (failures.length > 0) break;
    }
    await quiet();
    for (const t of tracked) if (!t.stopped) askNext(t);
    await quiet();
    expect(failures).toEqual([]);
    for (const t of tracked) {
      t.stopped = true;
      await t.watcher.stop();
    }
    await quiet();
    const store = backing.store;
    if (store !== undefined && retainRevisions === 0) expect(store.size()).toBe(store.all().length);
    expect(failures).toEqual([]);
  } finally {
    release?.();
    worker.kill();
    await worker.wait();
  }
}

describe('multiwatcher property', () => {
  it('views rebuilt from batches match the store, and tombstones live exactly as long as a watcher needs them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -1, max: 2 }), { minLength: 2, maxLength: 5 }),
        fc.array(opArb, { minLength: 10, maxLength: 80 }),
        fc.constantFrom(0, 0, 4, 50),
        fc.boolean(),
        (scopes, ops, retain, revisions) => runScenario(scopes, ops, retain, revisions),
      ),
      { numRuns: 200 },
    );
  });
});

describe('multiwatcher property fixed cases', () => {
  it('seed 318861599 (found with the removed-interval fix disabled): a re-seen resurrected entity is counted', async () => {
    const ops: Op[] = [
      { t: 'commit', writes: [{ t: 'update', m: 0, id: 2, v: 0 }] },
      { t: 'nextAll' },
      { t: 'remove', m: 0, id: 0 },
      { t: 'settle' },
      { t: 'stop', w: 0 },
      { t: 'next', w: 0 },
      { t: 'nextAll' },
      { t: 'commit', writes: [{ t: 'remove', m: 0, id: 2 }, { t: 'update', m: 0, id: 0, v: 0 }] },
      { t: 'remove', m: 0, id: 0 },
      { t: 'watch', scope: 0 },
      { t: 'settle' },
      { t: 'commit', writes: [{ t: 'update', m: 0, id: 2, v: 0 }, { t: 'update', m: 0, id: 0, v: 0 }] },
    ];
    await runScenario([0, 0], ops, 50, false);
  });
});

describe('multiwatcher property fixed cases (regressions)', () => {
  it('seed -1205887030: resuming from revision 0 after the floor moved gives the full state, no error', async () => {
    const ops: Op[] = [
      { t: 'settle' },
      { t: 'next', w: 7 },
      { t: 'stop', w: 7 },
      { t: 'update', m: 1, id: 1, v: 0 },
      { t: 'settle' },
      { t: 'commit', writes: [{ t: 'remove', m: 1, id: 1 }, { t: 'update', m: 0, id: 0, v: 0 }] },
      { t: 'settle' },
      { t: 'nextAll' },
      { t: 'next', w: 0 },
      { t: 'commit', writes: [{ t: 'remove', m: 0, id: 0 }] },
      { t: 'update', m: 0, id: 0, v: 0 },
      { t: 'resume', w: 0 },
      { t: 'watch', scope: 0 },
      { t: 'settle' },
    ];
    await runScenario([0, 0], ops, 0, true);
  });
});
