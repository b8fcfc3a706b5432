import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, describePostgres } from '../../testing/index.js';
import type { TestDatabase } from '../../testing/index.js';
import { presenceScenarios, presenceStoreContract, trackInflight } from '../../presence/testing/index.js';
import type { PresenceHarness } from '../../presence/testing/index.js';
import type { PresenceStore } from '../../presence/index.js';
import { openState } from '../open-state.js';
import type { State } from '../state.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rings a probe model until this store's LISTEN connection hears it (so no test races LISTEN). */
async function untilListening(store: PresenceStore): Promise<void> {
  const probe = randomUUID();
  const heard: string[] = [];
  const off = store.onRing((m) => heard.push(m));
  const ok = (): boolean => heard.includes(probe) || heard.includes('*');
  for (let i = 0; i < 200 && !ok(); i++) {
    if (i % 10 === 0) store.ring(probe);
    await sleep(10);
  }
  off();
  if (!ok()) throw new Error('presence LISTEN never heard a ring');
}

describePostgres('presence on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('presence');
  });
  afterAll(async () => {
    await db.drop();
  });

  const open = async (): Promise<PresenceHarness & { state: State }> => {
    const state = await openState(db.url);
    await untilListening(state.presenceStore());
    const { store, settle } = trackInflight(state.presenceStore(), 1);
    return { state, store, settle, exactTiming: true, close: () => state.close() };
  };

  presenceStoreContract('postgres', open);
  presenceScenarios('postgres', open);

  describe('PostgresPresenceStore hazards', () => {
    it('concurrent flushes from two controllers over the same rows in opposite orders neither deadlock nor lose bits', async () => {
      const a = await openState(db.url);
      const b = await openState(db.url);
      const m = randomUUID();
      const rows = (bit: bigint) => Array.from({ length: 1500 }, (_, i) => ({ modelUUID: m, slot: 30 * (i % 3), fieldKey: (i % 500).toString(16), alive: bit, dead: 0n }));
      const forward = rows(2n);
      const backward = rows(4n).reverse();
      await Promise.all([
        ...Array.from({ length: 5 }, () => a.presenceStore().upsertPings(forward)),
        ...Array.from({ length: 5 }, () => b.presenceStore().upsertPings(backward)),
      ]);
      const all = await a.presenceStore().readPings(m);
      expect(all).toHaveLength(1500);
      expect(all.every((r) => r.alive === 6n)).toBe(true);
      await a.close();
      await b.close();
    });

    it('rings from one controller reach another; a burst is coalesced into few notifications', async () => {
      const a = await openState(db.url);
      const b = await openState(db.url);
      await untilListening(b.presenceStore());
      const heard: string[] = [];
      b.presenceStore().onRing((x) => heard.push(x));
      const m1 = randomUUID();
      const m2 = randomUUID();
      a.presenceStore().ring(m1); // sent at once
      for (let i = 0; i < 20; i++) a.presenceStore().ring(i % 2 === 0 ? m1 : m2); // within 50 ms: one more, for both
      for (let i = 0; i < 200 && !heard.includes('*'); i++) await sleep(10);
      expect(heard[0]).toBe(m1);
      expect(heard).toContain('*');
      await sleep(200);
      expect(heard.length).toBeLessThanOrEqual(3);
      await a.close();
      await b.close();
    });

    it('int8 masks come back as exact bigints, slots as numbers', async () => {
      const state = await openState(db.url);
      const store = state.presenceStore();
      const m = randomUUID();
      await store.upsertPings([{ modelUUID: m, slot: 1_800_000_000, fieldKey: 'ff', alive: (1n << 63n) - 1n, dead: 1n << 62n }]);
      expect(await store.readPings(m, [1_800_000_000])).toEqual([{ slot: 1_800_000_000, fieldKey: 'ff', alive: (1n << 63n) - 1n, dead: 1n << 62n }]);
      await state.close();
      await expect(store.lastSeq(m)).rejects.toThrow('state is closed');
    });
  });
});
