import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presenceScenarios, presenceStoreContract, trackInflight } from '../../presence/testing/index.js';
import type { PresenceHarness } from '../../presence/testing/index.js';
import { fieldBit } from '../../presence/index.js';
import { openState } from '../open-state.js';
import type { State } from '../state.js';

async function openSqlite(): Promise<PresenceHarness & { state: State }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mw-presence-'));
  const state = await openState(`sqlite:${path.join(dir, 'state.db')}`);
  const { store, settle } = trackInflight(state.presenceStore());
  return {
    state, store, settle, exactTiming: true,
    close: async () => {
      await state.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

presenceStoreContract('sqlite', openSqlite);
presenceScenarios('sqlite', openSqlite);

describe('SqlitePresenceStore hazards', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mw-presence-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('two connections to one file never hand out one sequence twice', async () => {
    const file = `sqlite:${path.join(dir, 'shared.db')}`;
    const a = await openState(file);
    const b = await openState(file);
    const m = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const seqs = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).presenceStore().allocate(m, `u#a/${i}`)));
    expect(new Set(seqs).size).toBe(50);
    expect(await a.presenceStore().lastSeq(m)).toBe(50);
    await a.close();
    await b.close();
  });

  it('a mask with bit 62 set survives a round trip exactly (safeIntegers)', async () => {
    const state = await openState(`sqlite:${path.join(dir, 'bits.db')}`);
    const store = state.presenceStore();
    const m = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    await store.upsertPings([{ modelUUID: m, slot: 30, fieldKey: '0', alive: fieldBit(62) | 1n, dead: 0n }]);
    const [row] = await store.readPings(m, [30]);
    expect(row?.alive).toBe((1n << 62n) | 1n);
    expect(typeof row?.slot).toBe('number');
    await state.close();
    await expect(store.lastSeq(m)).rejects.toThrow();
  });
});
