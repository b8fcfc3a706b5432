import { describe, expect, it } from 'vitest';
import { ManualClock, MemoryLogger, deferred, flushMicrotasks, hasCode } from '../core/index.js';
import { MemoryPresenceStore } from './memory-store.js';
import { Pinger } from './pinger.js';
import type { PingerConfig } from './pinger.js';
import { fieldBit, fieldKey } from './sequence.js';
import type { PingRecorder } from './store.js';
import { FaultyPresenceStore } from './testing/index.js';

const M = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const T0 = 1_800_000_000_000;
const S = 1_800_000_000;

/** A recorder that logs (time in s since T0, slot offset) of every accepted ping. */
class LogRecorder implements PingRecorder {
  readonly pings: [number, number, string, bigint][] = [];
  fail = false;
  constructor(readonly clock: ManualClock) {}
  ping(_m: string, slot: number, key: string, bit: bigint): Promise<void> {
    if (this.fail) return Promise.reject(new Error('batcher restarting'));
    this.pings.push([(this.clock.now() - T0) / 1000, slot - S, key, bit]);
    return Promise.resolve();
  }
}

function setup(cfg: Partial<PingerConfig> = {}) {
  const clock = new ManualClock(T0);
  const store = new FaultyPresenceStore(new MemoryPresenceStore());
  const recorder = new LogRecorder(clock);
  const logger = new MemoryLogger();
  const pinger = new Pinger({ store, modelUUID: M, key: 'm#0', clock, recorder: () => recorder, logger, ...cfg });
  return { clock, store, recorder, logger, pinger };
}

describe('Pinger', () => {
  it('rejects bad config: empty or over-long key, bad model UUID, bad period, missing store or Clock', () => {
    const clock = new ManualClock();
    const store = new MemoryPresenceStore();
    const make = (cfg: Record<string, unknown>) => () => new Pinger({ store, modelUUID: M, key: 'm#0', clock, ...cfg });
    for (const bad of [{ key: '' }, { key: 'k'.repeat(256) }, { modelUUID: 'nope' }, { modelUUID: M.toUpperCase() }, { period: 1500 }, { period: 500 }]) {
      expect(make(bad)).toThrow(/not valid/);
      try {
        make(bad)();
      } catch (err) {
        expect(hasCode(err, 'NotValid')).toBe(true);
      }
    }
    expect(make({ key: 'k'.repeat(255) })).not.toThrow();
    expect(make({ store: undefined })).toThrow('missing store not valid');
    expect(make({ clock: undefined })).toThrow('missing Clock not valid');
  });

  it('pings at start and then every I = 23 s, once per slot', async () => {
    const { clock, pinger, recorder } = setup();
    await clock.advanceAsync(5_000);
    await pinger.start();
    expect(pinger.seq).toBe(1);
    await clock.advanceAsync(75_000); // attempts at 5, 28 (slot 0 again: skipped), 51, 74
    expect(recorder.pings).toEqual([[5, 0, '0', 2n], [51, 30, '0', 2n], [74, 60, '0', 2n]]);
    await pinger.stop();
  });

  it('"pinger already started", also while the start is in flight', async () => {
    const { store, pinger } = setup();
    const release = store.hold('allocate');
    const first = pinger.start();
    await expect(pinger.start()).rejects.toThrow('pinger already started');
    release();
    await first;
    await expect(pinger.start()).rejects.toThrow('pinger already started');
    await pinger.stop();
  });

  it('a rejected ping is logged and retried after 1 s, keeping the slot unpinged until it lands', async () => {
    const { clock, pinger, recorder, logger } = setup();
    await pinger.start();
    recorder.fail = true;
    await clock.advanceAsync(30_000); // attempt at 23 is slot 0 (skipped); at 30 the timer is still 23 s away
    await clock.advanceAsync(16_000); // attempt at 46 (slot 30) fails
    expect(logger.at('warn')).toHaveLength(1);
    await clock.advanceAsync(1_000); // retry at 47 fails too
    expect(logger.at('warn')).toHaveLength(2);
    recorder.fail = false;
    await clock.advanceAsync(1_000); // retry at 48 lands; the next regular attempt is 23 s later
    expect(recorder.pings.map((p) => p[0])).toEqual([0, 48]);
    await clock.advanceAsync(23_000);
    expect(recorder.pings.map((p) => p[0])).toEqual([0, 48, 71]);
    await pinger.stop();
  });

  it('attempts never overlap, and stop awaits the one in flight and writes nothing', async () => {
    const clock = new ManualClock(T0);
    const store = new FaultyPresenceStore(new MemoryPresenceStore());
    const held = deferred<void>();
    let calls = 0;
    const recorder: PingRecorder = { ping: () => (++calls === 1 ? Promise.resolve() : held.promise) };
    const pinger = new Pinger({ store, modelUUID: M, key: 'm#0', clock, recorder: () => recorder });
    await pinger.start();
    await clock.advanceAsync(200_000); // the attempt at 46 hangs: nothing else is attempted
    expect(calls).toBe(2);
    let stopped = false;
    const stop = pinger.stop().then(() => (stopped = true));
    await flushMicrotasks();
    expect(stopped).toBe(false);
    held.resolve();
    await stop;
    expect(store.count('upsertPings')).toBe(0);
    await pinger.wait();
  });

  it('stop resolves at once when never started; a restart takes a new seq and pings the same slot again', async () => {
    const { clock, pinger, recorder } = setup();
    await pinger.stop();
    await pinger.wait();
    await pinger.start();
    await clock.advanceAsync(1_000);
    await pinger.stop();
    await pinger.start();
    expect(pinger.seq).toBe(2);
    expect(recorder.pings).toEqual([[0, 0, '0', 2n], [1, 0, '0', 4n]]);
    pinger.kill();
    await pinger.wait();
    expect(pinger.report().state).toBe('stopped');
  });

  it('a failed allocation or first ping rejects the start and leaves the pinger stopped', async () => {
    const { store, pinger, recorder } = setup();
    const cause = new Error('db down');
    store.fail('allocate', cause);
    await expect(pinger.start()).rejects.toMatchObject({ code: 'Internal', cause });
    recorder.fail = true;
    await expect(pinger.start()).rejects.toMatchObject({ code: 'Internal' });
    recorder.fail = false;
    await pinger.start(); // a third start works, with a fresh seq
    expect(pinger.seq).toBe(2);
    await pinger.stop();
  });

  it('asks the recorder factory on every attempt, so a restarted batcher is used at once', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryPresenceStore();
    const a = new LogRecorder(clock);
    const b = new LogRecorder(clock);
    let current = a;
    const pinger = new Pinger({ store, modelUUID: M, key: 'm#0', clock, recorder: () => current });
    await pinger.start();
    current = b;
    await clock.advanceAsync(46_000);
    expect([a.pings.length, b.pings.length]).toEqual([1, 1]);
    await pinger.stop();
  });

  it('without a recorder, each ping is one direct upsert', async () => {
    const clock = new ManualClock(T0);
    const store = new FaultyPresenceStore(new MemoryPresenceStore());
    const pinger = new Pinger({ store, modelUUID: M, key: 'm#0', clock });
    await pinger.start();
    await clock.advanceAsync(46_000);
    expect(store.count('upsertPings')).toBe(2);
    expect(await store.pingDoc(M, S + 30)).toEqual({ slot: S + 30, alive: { '0': 2n }, dead: {} });
    await pinger.stop();
  });

  it('killForTesting of a running pinger records alive|dead beside its last ping, directly, and rings', async () => {
    const { clock, store, pinger } = setup();
    await pinger.start(); // last slot 0; the recorder never writes to the store
    await clock.advanceAsync(35_000);
    await pinger.killForTesting();
    expect(await store.pingDoc(M, S)).toEqual({ slot: S, alive: { '0': 2n }, dead: { '0': 2n } });
    expect(await store.pingDoc(M, S + 30)).toBeUndefined();
    expect(store.rings).toEqual([M]);
    expect(pinger.report().state).toBe('stopped');
  });

  it('killForTesting of a stopped or never-started pinger records a new dead seq in the current slot', async () => {
    const { clock, store, pinger } = setup();
    await clock.advanceAsync(31_000);
    await pinger.killForTesting();
    expect(pinger.seq).toBe(1);
    expect(await store.pingDoc(M, S + 30)).toEqual({ slot: S + 30, alive: { '0': 2n }, dead: { '0': 2n } });
    await pinger.start();
    await pinger.stop();
    await pinger.killForTesting();
    expect(pinger.seq).toBe(3);
    expect(await store.beingKey(M, 3)).toBe('m#0');
    expect((await store.pingDoc(M, S + 30))?.dead).toEqual({ [fieldKey(3)]: fieldBit(1) | fieldBit(3) });
  });

  it('killForTesting rejects on a store error, and the pinger is stopped either way', async () => {
    const { store, pinger } = setup();
    await pinger.start();
    store.fail('upsertPings', new Error('read-only'));
    await expect(pinger.killForTesting()).rejects.toMatchObject({ code: 'Internal' });
    expect(pinger.report().state).toBe('stopped');
    expect(store.rings).toEqual([]);
  });
});
