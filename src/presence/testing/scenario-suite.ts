// The presence scenarios of the issue, run against any backend: pingers, the batcher and watchers
// driven by a ManualClock through a real store. Memory runs them in src/presence; the SQLite and
// PostgreSQL stores run the same suite in src/state/presence.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasCode } from '../../core/index.js';
import { removePresenceForModel } from '../remove.js';
import { fieldBit, fieldKey } from '../sequence.js';
import type { PresenceHarness } from './world.js';
import { World, alives } from './world.js';

/** Registers the scenario suite for one backend. `open` is called once per test. */
export function presenceScenarios(name: string, open: () => Promise<PresenceHarness>): void {
  describe(`presence scenarios (${name})`, () => {
    let h: PresenceHarness;
    let world: World;
    beforeEach(async () => {
      h = await open();
      world = new World(h);
    });
    afterEach(async () => {
      await world.close();
      await h.close();
    });

    it('start is seen alive within one batcher sync and one watcher sync', async () => {
      const w = world.watcher();
      const seen = world.record(w, 'u#app/0');
      await w.sync();
      expect(alives(seen)).toEqual([false]);
      const p = world.pinger('u#app/0');
      await p.start();
      await world.flush();
      await w.sync();
      expect(alives(seen)).toEqual([false, true]);
      expect(await w.alive('u#app/0')).toBe(true);
      expect(p.seq).toBe(1);
    });

    it('stop is seen dead once the last ping leaves the window, not before', async () => {
      await world.advanceTo(5);
      const p = world.pinger('m#0');
      await p.start(); // pings slot 0
      await world.advanceTo(10);
      const w = world.watcher();
      const seen = world.record(w, 'm#0');
      await world.advanceTo(80); // pings at 51 (slot 30) and 74 (slot 60); 28 found slot 0 pinged
      expect((await h.store.pingDoc(world.modelA, BASE_SLOT + 60))?.alive).toEqual({ [fieldKey(1)]: fieldBit(1) });
      await p.stop();
      await world.advanceTo(119.999);
      await w.sync();
      expect(await w.alive('m#0')).toBe(true); // window {90, 60} still holds slot 60
      await world.advanceTo(120);
      await w.sync();
      expect(await w.alive('m#0')).toBe(false);
      expect(alives(seen)).toEqual([true, false]);
    });

    it('periodic reads report a stop at the first read after the window passes (spec §5 example)', async ({ skip }) => {
      if (!h.exactTiming) skip();
      await world.advanceTo(5);
      const p = world.pinger('m#0');
      await p.start();
      await world.advanceTo(10);
      const w = world.watcher(); // reads at 10, 40, 70, 100, 130
      const seen = world.record(w, 'm#0');
      await world.advanceTo(80);
      await p.stop();
      await world.advanceTo(140);
      expect(seen).toEqual([{ key: 'm#0', alive: true, at: 10 }, { key: 'm#0', alive: false, at: 130 }]);
    });

    it('kill is seen dead at the next sync, and through the doorbell without one', async () => {
      const w = world.watcher();
      const seen = world.record(w, 'u#app/1');
      const p = world.pinger('u#app/1');
      await p.start();
      await world.flush();
      await w.sync();
      await p.killForTesting();
      await w.sync();
      expect(alives(seen)).toEqual([false, true, false]);
      expect(world.store.rings).toEqual([world.modelA]);
      const q = world.pinger('u#app/2');
      const seen2 = world.record(w, 'u#app/2');
      await q.start();
      await world.flush();
      await w.sync();
      await q.killForTesting(); // no sync: the doorbell makes the watcher re-read
      expect(await world.until(() => seen2.length === 3)).toBe(true);
      expect(alives(seen2)).toEqual([false, true, false]);
    });

    it('kill while the first ping still waits in the batcher is dead, and stays dead after the flush', async () => {
      const w = world.watcher();
      const seen = world.record(w, 'u#app/0');
      const p = world.pinger('u#app/0');
      await p.start();
      await p.killForTesting();
      await w.sync();
      await world.flush();
      await w.sync();
      expect(alives(seen)).toEqual([false]);
      expect(await w.alive('u#app/0')).toBe(false);
    });

    it('restarting a pinger (new sequence) never produces a false death', async () => {
      const w = world.watcher();
      const seen = world.record(w, 'm#3');
      const p = world.pinger('m#3');
      await p.start();
      await world.flush();
      for (let i = 0; i < 6; i++) {
        await world.advance(17_000);
        await p.stop();
        await p.start(); // same slot or the next: a new seq either way
        await w.sync();
        await world.advance(4_000);
        await w.sync();
      }
      expect(p.seq).toBe(7);
      expect(alives(seen)).toEqual([false, true]);
    });

    it('two pingers for one key: the newest sequence decides, without flapping', async () => {
      const w = world.watcher();
      const seen = world.record(w, 'm#1');
      const older = world.pinger('m#1');
      const newer = world.pinger('m#1');
      await older.start();
      await newer.start();
      await world.flush();
      await w.sync();
      await newer.stop(); // the older one still pings: no event, ever
      for (let i = 0; i < 5; i++) {
        await world.advance(30_000);
        await w.sync();
      }
      expect(alives(seen)).toEqual([false, true]);
      await newer.killForTesting(); // newest seq dead: key dead until the record leaves the window
      await w.sync();
      expect(alives(seen)).toEqual([false, true, false]);
      const killedAt = world.t;
      for (let i = 0; i < 12; i++) {
        await world.advance(10_000);
        await w.sync();
      }
      expect(alives(seen)).toEqual([false, true, false, true]);
      expect((seen[3]?.at ?? Infinity) - killedAt).toBeLessThanOrEqual(90);
    });

    it('a kill of a key that was never alive emits nothing', async () => {
      const w = world.watcher();
      const seen = world.record(w, 'u#never/0');
      await w.sync();
      await world.pinger('u#never/0').killForTesting();
      await w.sync();
      expect(alives(seen)).toEqual([false]);
    });

    it('the batcher aggregates into one write per (model, slot, fieldKey)', async () => {
      const pingers = [];
      for (let i = 0; i < 130; i++) pingers.push(world.pinger(`u#app/${i}`)); // seqs 1..130: field keys 0, 1, 2
      for (let i = 0; i < 5; i++) pingers.push(world.pinger(`u#other/${i}`, world.modelB));
      for (const p of pingers) await p.start();
      const before = world.store.upserts.length;
      await world.flush();
      expect(world.store.upserts.length - before).toBe(1);
      const rows = world.store.upserts.at(-1) ?? [];
      expect(rows.map((r) => `${r.modelUUID === world.modelA ? 'A' : 'B'}:${r.fieldKey}`).sort()).toEqual(['A:0', 'A:1', 'A:2', 'B:0']);
      const doc = await h.store.pingDoc(world.modelA, BASE_SLOT);
      expect(doc?.alive['0']).toBe((1n << 63n) - 2n); // seqs 1..62
      expect(doc?.alive['2']).toBe((1n << 5n) - 1n); // seqs 126..130
      const w = world.watcher();
      await w.sync();
      expect(w.report()['alive-keys']).toBe(130);
    });

    it('batcher sync resolves after a flush that holds every earlier ping; concurrent syncs share it', async () => {
      const p = world.pinger('m#7');
      await p.start();
      const before = world.store.count('upsertPings');
      const syncs = [world.batcher.sync(), world.batcher.sync(), world.batcher.sync()];
      await world.advance(10);
      await Promise.all(syncs);
      expect(world.store.count('upsertPings') - before).toBe(1);
      expect(await h.store.pingDoc(world.modelA, BASE_SLOT)).toEqual({ slot: BASE_SLOT, alive: { '0': fieldBit(1) }, dead: {} });
      await world.flush(); // nothing pending: still released, no write
      expect(world.store.count('upsertPings') - before).toBe(1);
    });

    it('a failed flush is reported and retried: no false death within P − I', async () => {
      const w = world.watcher();
      const seen = world.record(w, 'm#9');
      const p = world.pinger('m#9');
      await p.start();
      await world.flush();
      await w.sync();
      const outage = new Error('database unavailable');
      await world.advanceTo(45);
      world.store.fail('upsertPings', outage, Infinity);
      await world.advanceTo(46.5); // the ping at 46 (slot 30) waits in the batcher
      const failed = world.batcher.sync();
      await world.advance(10);
      await expect(failed).rejects.toMatchObject({ code: 'TryAgain', cause: outage });
      expect(world.batcher.report()['failed-flushes']).toBeGreaterThan(0);
      expect(world.logger.at('error').some((r) => r.msg.includes('flush failed'))).toBe(true);
      await world.advance(6_000); // an outage of about P − I
      world.store.heal();
      await world.advance(1_500); // the timed flush retries and lands
      for (let i = 0; i < 6; i++) {
        await world.advance(10_000);
        await w.sync();
      }
      expect(alives(seen)).toEqual([false, true]);
      expect(world.batcher.report()['pending-rows']).toBe(0);
    });

    it('pruning keeps what watchers need and bounds storage', async () => {
      const w = world.watcher(world.modelA, { random: () => 0 }); // prune after every read
      const keys = ['m#0', 'm#1', 'm#2'];
      const seen = keys.map((k) => world.record(w, k));
      const pingers = keys.map((k) => world.pinger(k));
      for (const p of pingers) await p.start();
      for (let round = 0; round < 8; round++) {
        for (const p of pingers) {
          await p.stop();
          await p.start();
        }
        await world.advance(30_000);
        await w.sync();
      }
      expect(seen.map(alives)).toEqual(keys.map(() => [false, true]));
      expect(w.report()['prune-runs']).toBeGreaterThan(5);
      expect(await h.store.countDocs('pings', world.modelA)).toBeLessThanOrEqual(4);
      expect(await h.store.countDocs('beings', world.modelA)).toBeLessThanOrEqual(keys.length * 4);
      for (const p of pingers) expect(await h.store.beingKey(world.modelA, p.seq ?? 0)).toBeDefined();
      const [first] = pingers;
      await first?.killForTesting();
      await w.sync();
      expect(seen.map(alives)).toEqual([[false, true, false], [false, true], [false, true]]);
    });

    it('model removal deletes only that model, twice, and restarts its sequence', async () => {
      await world.pinger('m#0').start();
      await world.pinger('m#0', world.modelB).start();
      await world.flush();
      await removePresenceForModel(world.store, world.modelA);
      await removePresenceForModel(world.store, world.modelA);
      for (const kind of ['pings', 'beings', 'seqs'] as const) expect(await h.store.countDocs(kind, world.modelA)).toBe(0);
      expect(await h.store.lastSeq(world.modelA)).toBe(0);
      expect(await h.store.lastSeq(world.modelB)).toBe(1);
      expect(await h.store.countDocs('pings', world.modelB)).toBe(1);
      await expect(removePresenceForModel(world.store, 'not-a-uuid')).rejects.toSatisfy((e) => hasCode(e, 'NotValid'));
      world.store.fail('removeModel', new Error('disk full'));
      await expect(removePresenceForModel(world.store, world.modelB)).rejects.toThrow(`errors removing presence for model "${world.modelB}"`);
    });

    it('watchers of two models are isolated', async () => {
      const wa = world.watcher(world.modelA);
      const wb = world.watcher(world.modelB);
      const seenA = world.record(wa, 'm#0');
      const seenB = world.record(wb, 'm#0');
      const p = world.pinger('m#0', world.modelA);
      await p.start();
      await world.flush();
      await wa.sync();
      await wb.sync();
      await p.killForTesting();
      await wa.sync();
      await wb.sync();
      expect(alives(seenA)).toEqual([false, true, false]);
      expect(alives(seenB)).toEqual([false]);
    });
  });
}

/** Slot of BASE_MS at P = 30 s, in seconds. */
const BASE_SLOT = 1_800_000_000;
