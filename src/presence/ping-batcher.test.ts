import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryLogger, flushMicrotasks, hasCode } from '../core/index.js';
import { MemoryPresenceStore } from './memory-store.js';
import { PingBatcher, newDeadPingBatcher } from './ping-batcher.js';
import type { PingBatcherConfig } from './ping-batcher.js';
import { FaultyPresenceStore } from './testing/index.js';

const M = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const N = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';
/** The slot of the clock's start (P = 30 s). */
const S = 1_800_000_000;

function setup(cfg: Partial<PingBatcherConfig> = {}) {
  const clock = new ManualClock(1_800_000_000_000);
  const store = new FaultyPresenceStore(new MemoryPresenceStore());
  const logger = new MemoryLogger();
  const batcher = new PingBatcher({ store, flushInterval: 1000, clock, logger, random: () => 0, ...cfg }); // flushes every 800 ms
  return { clock, store, logger, batcher };
}

describe('PingBatcher', () => {
  it('rejects a config without store, Clock or a positive flushInterval', () => {
    const clock = new ManualClock();
    const store = new MemoryPresenceStore();
    expect(() => new PingBatcher({ flushInterval: 1000, clock } as unknown as PingBatcherConfig)).toThrow('missing store not valid');
    expect(() => new PingBatcher({ store, flushInterval: 1000 } as unknown as PingBatcherConfig)).toThrow('missing Clock not valid');
    expect(() => new PingBatcher({ store, clock } as unknown as PingBatcherConfig)).toThrow('missing flushInterval not valid');
    expect(() => new PingBatcher({ store, clock, flushInterval: 0 })).toThrow('flushInterval 0 not valid');
    expect(() => new PingBatcher({ store, clock, flushInterval: 1000, syncDelay: -1 })).toThrow('syncDelay -1 not valid');
  });

  it('bad ping arguments are NotValid and change nothing', async () => {
    const { batcher } = setup();
    const bad: [string, number, string, bigint][] = [
      ['not-a-uuid', 0, '0', 2n], [M, -30, '0', 2n], [M, 1.5, '0', 2n], [M, S, 'G', 2n], [M, S, '0', 3n], [M, S, '0', 0n], [M, S, '0', 1n << 63n],
    ];
    for (const [m, s, k, b] of bad) await expect(batcher.ping(m, s, k, b)).rejects.toSatisfy((e) => hasCode(e, 'NotValid'));
    expect(batcher.report()['pending-rows']).toBe(0);
    await batcher.stop();
  });

  it('flushes after a jittered delay in [0.8·F, 1.2·F), re-drawn after each flush', async () => {
    const draws = [0, 0.5, 0.999];
    const { clock, store, batcher } = setup({ random: () => draws.shift() ?? 0 });
    await batcher.ping(M, S, '0', 2n);
    clock.advance(799);
    expect(store.count('upsertPings')).toBe(0);
    await clock.advanceAsync(1);
    expect(store.count('upsertPings')).toBe(1);
    await batcher.ping(M, S, '0', 4n);
    await clock.advanceAsync(999);
    expect(store.count('upsertPings')).toBe(1);
    await clock.advanceAsync(1); // 0.8 + 0.4·0.5 = 1.0·F
    expect(store.count('upsertPings')).toBe(2);
    await batcher.ping(M, S, '0', 8n);
    await clock.advanceAsync(1199); // 0.8 + 0.4·0.999 = 1.1996·F
    expect(store.count('upsertPings')).toBe(2);
    await clock.advanceAsync(1);
    expect(store.count('upsertPings')).toBe(3);
    await batcher.stop();
  });

  it('ORs pings into one row per (model, slot, fieldKey); an empty flush writes nothing', async () => {
    const { clock, store, batcher } = setup();
    await batcher.ping(M, S, '0', 2n);
    await batcher.ping(M, S, '0', 4n);
    await batcher.ping(M, S, '0', 4n);
    await batcher.ping(M, S + 30, '0', 2n);
    await batcher.ping(M, S, '1', 1n);
    await batcher.ping(N, S, '0', 2n);
    await clock.advanceAsync(800);
    expect(store.upserts).toHaveLength(1);
    expect(store.upserts[0]?.map((r) => [r.modelUUID === M ? 'M' : 'N', r.slot, r.fieldKey, r.alive, r.dead])).toEqual([
      ['M', S, '0', 6n, 0n], ['M', S + 30, '0', 2n, 0n], ['M', S, '1', 1n, 0n], ['N', S, '0', 2n, 0n],
    ]);
    await clock.advanceAsync(5000);
    expect(store.upserts).toHaveLength(1);
    expect(batcher.report()).toMatchObject({ 'pings-received': 6, flushes: 1, 'rows-written': 4, 'last-flush-rows': 4 });
    await batcher.stop();
  });

  it('sync waits for a flush that starts after the call, never one already running', async () => {
    const { clock, store, batcher } = setup();
    const release = store.hold('upsertPings');
    await batcher.ping(M, S, '0', 2n);
    await clock.advanceAsync(800); // flush 1 starts and is held
    await batcher.ping(M, S, '0', 4n);
    let synced = false;
    const s = batcher.sync().then(() => (synced = true));
    await clock.advanceAsync(10); // the sync delay passes while flush 1 runs
    expect(store.count('upsertPings')).toBe(1);
    release();
    await s;
    expect(synced).toBe(true);
    expect(store.count('upsertPings')).toBe(2);
    expect(store.upserts[1]?.[0]?.alive).toBe(4n);
    await batcher.stop();
  });

  it('later syncs never postpone the first sync delay, and share its flush', async () => {
    const { clock, store, batcher } = setup({ syncDelay: 10, random: () => 0.999 });
    await batcher.ping(M, S, '0', 2n);
    const a = batcher.sync();
    await clock.advanceAsync(6);
    const b = batcher.sync();
    await clock.advanceAsync(4);
    await Promise.all([a, b]);
    expect(store.count('upsertPings')).toBe(1);
    await batcher.stop();
  });

  it('a failed flush rejects its syncs with the cause, keeps the rows and retries on the next timer', async () => {
    const { clock, store, logger, batcher } = setup();
    const cause = new Error('connection reset');
    store.fail('upsertPings', cause, 1);
    await batcher.ping(M, S, '0', 2n);
    const s = batcher.sync();
    await clock.advanceAsync(10);
    await expect(s).rejects.toMatchObject({ code: 'TryAgain', cause });
    expect(logger.at('error')[0]?.fields).toMatchObject({ rows: 1 });
    await batcher.ping(M, S, '0', 4n);
    await clock.advanceAsync(800);
    expect(await store.inner.pingDoc(M, S)).toEqual({ slot: S, alive: { '0': 6n }, dead: {} });
    expect(batcher.report()).toMatchObject({ 'failed-flushes': 1, flushes: 1, 'pending-rows': 0 });
    await batcher.stop();
  });

  it('drops rows older than 10 minutes after a long outage, with an error log', async () => {
    const { clock, store, logger, batcher } = setup();
    store.fail('upsertPings', new Error('down'), Infinity);
    await batcher.ping(M, S, '0', 2n);
    await clock.advanceAsync(11 * 60_000);
    expect(batcher.report()['dropped-rows']).toBe(1);
    expect(logger.at('error').some((r) => r.msg.includes('dropped'))).toBe(true);
    expect(batcher.report()['pending-rows']).toBe(0);
    store.heal();
    await batcher.stop();
  });

  it('stop flushes what is pending, releases syncs, then rejects pings and syncs as stopped', async () => {
    const { store, batcher } = setup();
    await batcher.ping(M, S, '0', 2n);
    const s = batcher.sync();
    await batcher.stop();
    await s;
    expect(store.count('upsertPings')).toBe(1);
    await expect(batcher.ping(M, S, '0', 2n)).rejects.toThrow('PingBatcher is stopped');
    await expect(batcher.ping(M, S, '0', 2n)).rejects.toSatisfy((e) => hasCode(e, 'Stopped'));
    await expect(batcher.sync()).rejects.toThrow('PingBatcher is stopped');
    await batcher.stop();
    await batcher.wait();
  });

  it('kill returns at once; wait settles after the final flush; a ping during shutdown is refused', async () => {
    const { store, batcher } = setup();
    const release = store.hold('upsertPings');
    await batcher.ping(M, S, '0', 2n);
    batcher.kill();
    await expect(batcher.ping(M, S, '0', 4n)).rejects.toThrow('PingBatcher is stopped');
    let done = false;
    const w = batcher.wait().then(() => (done = true));
    await flushMicrotasks();
    expect(done).toBe(false);
    release();
    await w;
    expect(store.upserts[0]?.[0]?.alive).toBe(2n);
  });

  it('a failed final flush makes stop and wait reject with its error, and later stops too', async () => {
    const { store, logger, batcher } = setup();
    store.fail('upsertPings', new Error('gone'), Infinity);
    await batcher.ping(M, S, '0', 2n);
    const err: unknown = await batcher.stop().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TryAgain' });
    await expect(batcher.wait()).rejects.toBe(err);
    await expect(batcher.stop()).rejects.toBe(err);
    await expect(batcher.ping(M, S, '0', 2n)).rejects.toBe(err);
    expect(logger.at('error').some((r) => r.msg.includes('lost'))).toBe(true);
  });

  it('newDeadPingBatcher rejects everything with its error; kill is a no-op', async () => {
    const err = new Error('no database');
    const b = newDeadPingBatcher(err);
    b.kill();
    await expect(b.ping(M, S, '0', 2n)).rejects.toBe(err);
    await expect(b.sync()).rejects.toBe(err);
    await expect(b.stop()).rejects.toBe(err);
    await expect(b.wait()).rejects.toBe(err);
  });

  it('reports pings, flushes and rows to a shared prom-client registry', async () => {
    const registry = new Registry();
    const a = setup({ registry });
    const b = setup({ registry }); // a second batcher reuses the registered metrics
    await a.batcher.ping(M, S, '0', 2n);
    await a.batcher.ping(M, S, '0', 4n);
    await b.batcher.ping(N, S, '0', 2n);
    await a.clock.advanceAsync(800);
    const text = await registry.metrics();
    expect(text).toContain('modelwatch_presence_pings_received_total 3');
    expect(text).toContain('modelwatch_presence_flushes_total{result="ok"} 1');
    expect(text).toContain('modelwatch_presence_flush_rows_sum 1');
    expect(text).toContain('modelwatch_presence_flush_seconds_count 1');
    await a.batcher.stop();
    await b.batcher.stop();
  });
});
