// The PresenceStore contract (spec §3), run against every backend: sequence allocation, OR-upserts
// with full 63-bit masks, window reads, being lookups, deletes, model removal and the doorbell.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MASK, fieldBit, fieldKey } from '../sequence.js';
import type { PingRow, PresenceStore } from '../store.js';
import type { PresenceHarness } from './world.js';

const row = (modelUUID: string, slot: number, fk: string, alive: bigint, dead = 0n): PingRow => ({ modelUUID, slot, fieldKey: fk, alive, dead });

/** Registers the store contract suite; `open` is called once for the whole suite. */
export function presenceStoreContract(name: string, open: () => Promise<PresenceHarness>): void {
  describe(`PresenceStore contract (${name})`, () => {
    let h: PresenceHarness;
    let store: PresenceStore;
    beforeAll(async () => {
      h = await open();
      store = h.store;
    });
    afterAll(async () => {
      await h.close();
    });

    it('allocates 1, 2, 3 per model and records each being', async () => {
      const m = randomUUID();
      const other = randomUUID();
      expect(await store.lastSeq(m)).toBe(0);
      expect(await store.allocate(m, 'm#0')).toBe(1);
      expect(await store.allocate(m, 'm#1')).toBe(2);
      expect(await store.allocate(other, 'm#0')).toBe(1);
      expect(await store.allocate(m, 'm#0')).toBe(3);
      expect(await store.lastSeq(m)).toBe(3);
      expect(await store.beingKey(m, 2)).toBe('m#1');
      expect(await store.beingKey(m, 4)).toBeUndefined();
      expect(await store.countDocs('seqs', m)).toBe(1);
      expect(await store.countDocs('beings', m)).toBe(3);
      expect(await store.beingsOf(m)).toEqual(expect.arrayContaining([{ seq: 1, key: 'm#0' }, { seq: 2, key: 'm#1' }, { seq: 3, key: 'm#0' }]));
    });

    it('concurrent allocations never hand out one sequence twice', async () => {
      const m = randomUUID();
      const seqs = await Promise.all(Array.from({ length: 40 }, (_, i) => store.allocate(m, `u#a/${i}`)));
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it('upserts OR the masks (never add): repeats are idempotent, bit 62 and full masks are exact', async () => {
      const m = randomUUID();
      await store.upsertPings([row(m, 30, '0', fieldBit(62))]);
      await store.upsertPings([row(m, 30, '0', fieldBit(62)), row(m, 30, '0', fieldBit(1), fieldBit(1))]);
      await store.upsertPings([row(m, 30, '0', fieldBit(62))]);
      await store.upsertPings([row(m, 30, '1', MAX_MASK, MAX_MASK)]);
      expect(await store.pingDoc(m, 30)).toEqual({
        slot: 30, alive: { '0': (1n << 62n) | 2n, '1': MAX_MASK }, dead: { '0': 2n, '1': MAX_MASK },
      });
      expect(await store.pingDoc(m, 60)).toBeUndefined();
      expect(await store.pingDoc(randomUUID(), 30)).toBeUndefined();
    });

    it('one upsert spans models, slots and repeated rows, beyond 1000 rows', async () => {
      const a = randomUUID();
      const b = randomUUID();
      const rows: PingRow[] = [];
      for (let slot = 0; slot < 2400; slot++) rows.push(row(slot % 2 === 0 ? a : b, slot, fieldKey(slot), fieldBit(slot)));
      rows.push(row(a, 0, '0', 8n), row(a, 0, '0', 16n)); // same primary key again within the call
      await store.upsertPings(rows);
      expect(await store.countDocs('pings', a)).toBe(1200);
      expect(await store.countDocs('pings', b)).toBe(1200);
      expect((await store.pingDoc(a, 0))?.alive).toEqual({ '0': 1n | 8n | 16n });
      const all = await store.readPings(b);
      expect(all).toHaveLength(1200);
    });

    it('reads only the asked slots of the asked model', async () => {
      const m = randomUUID();
      const other = randomUUID();
      await store.upsertPings([row(m, 0, '0', 2n), row(m, 30, '0', 4n), row(m, 30, '1', 1n, 1n), row(m, 60, '0', 8n), row(other, 30, '0', 16n)]);
      const got = await store.readPings(m, [30, 60]);
      expect(got.map((r) => `${r.slot}/${r.fieldKey}/${r.alive}/${r.dead}`).sort()).toEqual(['30/0/4/0', '30/1/1/1', '60/0/8/0']);
      expect(await store.readPings(m, [90])).toEqual([]);
      expect(await store.readPings(m)).toHaveLength(4);
    });

    it('looks up only existing beings, up to 1000 at once', async () => {
      const m = randomUUID();
      for (let i = 0; i < 5; i++) await store.allocate(m, `u#x/${i}`);
      const found = await store.lookupBeings(m, Array.from({ length: 1000 }, (_, i) => i));
      expect([...found].sort((x, y) => x[0] - y[0])).toEqual([[1, 'u#x/0'], [2, 'u#x/1'], [3, 'u#x/2'], [4, 'u#x/3'], [5, 'u#x/4']]);
      expect((await store.lookupBeings(randomUUID(), [1])).size).toBe(0);
      expect((await store.lookupBeings(m, [])).size).toBe(0);
    });

    it('deletes pings before a slot and named beings, for one model only', async () => {
      const m = randomUUID();
      const other = randomUUID();
      await store.upsertPings([row(m, 0, '0', 2n), row(m, 0, '1', 2n), row(m, 30, '0', 2n), row(m, 60, '0', 2n), row(other, 0, '0', 2n)]);
      expect(await store.deletePingsBefore(m, 60)).toBe(3);
      expect((await store.readPings(m)).map((r) => r.slot)).toEqual([60]);
      expect(await store.countDocs('pings', other)).toBe(1);
      for (let i = 0; i < 4; i++) await store.allocate(m, 'k');
      await store.allocate(other, 'k');
      expect(await store.deleteBeings(m, [1, 3, 99])).toBe(2);
      expect((await store.beingsOf(m)).map((b) => b.seq).sort()).toEqual([2, 4]);
      expect(await store.countDocs('beings', other)).toBe(1);
      expect(await store.deleteBeings(m, [])).toBe(0);
    });

    it('counts ping documents per (model, slot), for one model or all', async () => {
      const m = randomUUID();
      const before = await store.countDocs('pings');
      await store.upsertPings([row(m, 0, '0', 2n), row(m, 0, '1', 2n), row(m, 30, '0', 2n)]);
      expect(await store.countDocs('pings', m)).toBe(2);
      expect(await store.countDocs('pings')).toBe(before + 2);
    });

    it('removes a model whole and idempotently; its counter restarts at 1', async () => {
      const m = randomUUID();
      const other = randomUUID();
      await store.allocate(m, 'k');
      await store.allocate(other, 'k');
      await store.upsertPings([row(m, 0, '0', 2n), row(other, 0, '0', 2n)]);
      await store.removeModel(m);
      await store.removeModel(m);
      for (const kind of ['pings', 'beings', 'seqs'] as const) {
        expect(await store.countDocs(kind, m)).toBe(0);
        expect(await store.countDocs(kind, other)).toBe(1);
      }
      expect(await store.lastSeq(m)).toBe(0);
      expect(await store.allocate(m, 'k')).toBe(1);
    });

    it('rings the doorbell for a model; unsubscribed listeners hear nothing more', async () => {
      const m = randomUUID();
      const heard: string[] = [];
      const gone: string[] = [];
      const off = store.onRing((model) => heard.push(model));
      const offGone = store.onRing((model) => gone.push(model));
      offGone();
      store.ring(m);
      for (let i = 0; i < 400 && !heard.some((x) => x === m || x === '*'); i++) await h.settle();
      expect(heard.some((x) => x === m || x === '*')).toBe(true);
      expect(gone).toEqual([]);
      off();
    });
  });
}
