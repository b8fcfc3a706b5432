// Retention: the log keeps at least `ms` of time and `revisions` revisions, whichever holds more;
// asking for changes below the window is ResyncRequired, never a silent gap.
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { ManualClock, hasCode } from '../core/index.js';
import { openState } from './open-state.js';
import type { OpenStateInternalOptions } from './open-state.js';
import type { State } from './state.js';
import { BACKENDS, modelUUID } from './testdata/backends.js';

const M = modelUUID(1);

async function writeRevisions(state: State, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await state.update({ kind: 'machine', modelUUID: M, id: String(i % 3), data: { i } });
}

/** Resolves with the error changesSince(rev) throws, or undefined when it succeeds. */
async function resyncError(state: State, rev: number): Promise<unknown> {
  return state.changesSince(rev).then(() => undefined, (err: unknown) => err);
}

/** Compaction rounds completed so far (the store's report). */
function rounds(state: State): number {
  return (state as unknown as { report(): { 'compaction-rounds': number } }).report()['compaction-rounds'];
}

/** Advances the clock by `ms` and waits until the compaction round that fires completed. */
async function advanceThroughRound(state: State, clock: ManualClock, ms: number): Promise<void> {
  const before = rounds(state);
  clock.advance(ms);
  await vi.waitFor(() => expect(rounds(state)).toBeGreaterThan(before), { timeout: 10_000, interval: 10 });
}

for (const makeBackend of BACKENDS) {
  const backend = makeBackend();
  backend.describe(`compaction on ${backend.name}`, () => {
    let state: State | undefined;
    const open = async (clock: ManualClock, opts: OpenStateInternalOptions): Promise<State> => {
      state = await openState(await backend.fresh(), { clock, ...opts });
      return state;
    };
    afterEach(async () => {
      await state?.close();
      state = undefined;
    });
    afterAll(() => backend.cleanup());

    it('resume below the retention window yields ResyncRequired, at its edge the rest', async () => {
      const clock = new ManualClock(0);
      const s = await open(clock, { retention: { ms: 1_000, revisions: 5 }, limits: { compactIntervalMs: 100 } });
      await writeRevisions(s, 20);
      await advanceThroughRound(s, clock, 100); // all 20 are younger than 1 s: time keeps them
      expect(await resyncError(s, 0)).toBeUndefined();
      clock.advance(2_000); // now older than 1 s: only the count (5) keeps revisions
      await vi.waitFor(async () => {
        clock.advance(100);
        expect(await resyncError(s, 0)).toBeDefined();
      }, { timeout: 10_000, interval: 20 });
      const err = await resyncError(s, 14);
      expect(hasCode(err, 'ResyncRequired'), String(err)).toBe(true);
      expect((await s.changesSince(15)).map((c) => c.rev)).toEqual([16, 17, 18, 19, 20]);
      expect(await s.revision()).toBe(20);
      await writeRevisions(s, 1); // the log continues past the compaction (a round may still be running)
      expect((await s.changesSince(20)).map((c) => c.rev)).toEqual([21]);
    });

    it('the count window keeps history the time window would drop, and vice versa', async () => {
      const clock = new ManualClock(0);
      const s = await open(clock, { retention: { ms: 1_000, revisions: 1_000 }, limits: { compactIntervalMs: 100 } });
      await writeRevisions(s, 20);
      await advanceThroughRound(s, clock, 5_000); // the round due at 100 ms
      await advanceThroughRound(s, clock, 100); // a round at 5,100 ms: every revision is older than 1 s
      expect((await s.changesSince(0)).length).toBe(20);
    });

    it('a large backlog is compacted in bounded rounds', async () => {
      const clock = new ManualClock(0);
      const s = await open(clock, { retention: { ms: 0, revisions: 2 }, limits: { compactIntervalMs: 100, compactBatchRevisions: 4 } });
      await writeRevisions(s, 30);
      clock.advance(1);
      await vi.waitFor(async () => {
        clock.advance(100);
        expect(await resyncError(s, 27)).toBeDefined();
      }, { timeout: 10_000, interval: 20 });
      expect((await s.changesSince(28)).map((c) => c.rev)).toEqual([29, 30]);
    });
  });
}
