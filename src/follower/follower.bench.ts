// Benchmark of modelwatch/follower (issue 6): 1,000 followers, each on its own model watcher over
// 1,000 models, fed 1,000 changes/s by a real MultiwatcherWorker over the in-memory backing.
// Reports (1) the follower's CPU overhead per matched change beyond the user callback, against a raw
// consumer of the same batches: (1a) on in-process sources (no worker, low noise), including a
// scripted watcher with wasReset() as every multiwatcher watcher has; (1b) on the path users run,
// fromWatcher over 1,000 real multiwatcher watchers (real-watchers.bench.ts), where the worker's own
// cost is in both runs and makes the difference noisier; and (2) end-to-end latency, backing
// commit → user callback, through the real worker.
// Usage: npm run bench:follower [-- --quick]
import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Delta, EntityInfo } from '../core/index.js';
import { SystemClock, nullLogger } from '../core/index.js';
import { MultiwatcherWorker } from '../multiwatcher/index.js';
import type { Watcher } from '../multiwatcher/index.js';
import { MemoryBacking } from '../multiwatcher/testing/index.js';
import type { DeltaSource } from './index.js';
import { fromWatcher, simpleFollower, watchEntities } from './index.js';
import type { EntitySource, WatchEvent } from './index.js';
import { realWatcherOverhead } from './real-watchers.bench.js';

const quick = process.argv.includes('--quick');
const MODELS = 1_000;
const UNITS_PER_MODEL = 10;
const RATE_PER_S = 1_000;
const LATENCY_SECONDS = quick ? 3 : 20;
const MICRO_CHANGES = quick ? 200_000 : 1_000_000;
const REAL_CHANGES = quick ? 20_000 : 60_000; // per run: the worker ingests them untimed, at tens of µs per change
const REAL_PAIRS = quick ? 3 : 9;
const MICRO_POOL = 10_007; // prime: with 100 keys, a key's versions differ from one pass to the next

const uuid = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const unit = (m: number, u: number, data: Record<string, unknown>): EntityInfo => ({ kind: 'unit', modelUUID: uuid(m), id: `app/${u}`, data });
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const ns = (ms: number, n: number): number => Math.round((ms * 1e6) / n);

function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

// --- 1a. Overhead per matched change on an in-process source (no I/O, no worker) --------------
/**
 * A source that cycles through a pool of prebuilt events `count` times over, as cheap as an async
 * iterator can be. A pool (not one object per change) keeps the heap small, so GC of the input does
 * not swamp what is measured; the pool is large enough that each key's next version is a new object.
 */
function arraySource(pool: WatchEvent[], count: number): EntitySource {
  return {
    [Symbol.asyncIterator]: () => {
      let i = 0;
      return { next: () => Promise.resolve(i < count ? { done: false, value: pool[i++ % pool.length]! } : { done: true, value: undefined }) };
    },
  };
}

/**
 * A watcher whose next() resolves at once with the next pooled batch, then "watcher was stopped".
 * `resettable`: it has wasReset() (always false), as a multiwatcher watcher has, so fromWatcher
 * keeps its live set for the reset diff.
 */
function arrayWatcher(pool: Delta[][], count: number, resettable: boolean): DeltaSource {
  let i = 0;
  const w: DeltaSource = {
    next: () => (i < count ? Promise.resolve(pool[i++ % pool.length]!) : Promise.reject(new Error('watcher was stopped'))),
    stop: () => Promise.resolve(),
  };
  if (resettable) w.wasReset = () => false;
  return w;
}

/** 'fromWatcher': a scripted watcher without wasReset(); 'fromWatcher+wasReset': with it. */
type MicroSource = 'events' | 'fromWatcher' | 'fromWatcher+wasReset';
interface MicroResult { source: MicroSource; batchSize: number; followerNsPerChange: number; rawNsPerChange: number; overheadNsPerChange: number }

/**
 * The follower's CPU time per matched change beyond the user callback: the same input consumed by a
 * follower (watchEntities, default equals, with an AbortSignal as a real owner has) and by a raw
 * loop that only calls the user callback. Median of 5 pairs of runs.
 */
async function microOverhead(source: MicroSource, batchSize: number): Promise<MicroResult> {
  const n = Math.floor(MICRO_CHANGES / batchSize);
  const batches: Delta[][] = [];
  for (let i = 0; i < MICRO_POOL; i++) {
    const batch: Delta[] = [];
    for (let j = 0; j < batchSize; j++) batch.push({ removed: false, entity: unit(0, (i * batchSize + j) % 100, { v: i }) });
    batches.push(batch);
  }
  const events: WatchEvent[] = batches.map((b) => ({ entities: b.map((d) => d.entity), tombstones: [] }));
  let sink = 0;
  const user = (e: EntityInfo): void => void (sink += e.id.length);
  const rawRun = async (): Promise<void> => {
    if (source === 'events') {
      for await (const ev of arraySource(events, n)) {
        for (const e of ev.entities) user(e);
        sink++; // the batch-done a raw consumer would do
      }
      return;
    }
    const w = arrayWatcher(batches, n, source === 'fromWatcher+wasReset');
    try {
      for (;;) {
        for (const d of await w.next()) if (!d.removed) user(d.entity);
        sink++;
      }
    } catch {
      // end of the batches
    }
  };
  const followerRun = (): Promise<void> => {
    const src = source === 'events' ? arraySource(events, n) : fromWatcher(arrayWatcher(batches, n, source === 'fromWatcher+wasReset'));
    const f = simpleFollower({ onNewUpdated: user, onBatchDone: () => void sink++ });
    return watchEntities(src, f, { signal: new AbortController().signal }).catch(() => undefined);
  };
  // CPU time, not wall time: on a shared machine a descheduled run would otherwise count as overhead.
  const cpuMs = (): number => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1e3;
  };
  const runs: Array<[number, number]> = [];
  for (let r = 0; r < 5; r++) {
    gc();
    let t = cpuMs();
    await rawRun();
    const raw = cpuMs() - t;
    gc();
    t = cpuMs();
    await followerRun();
    runs.push([raw, cpuMs() - t]);
  }
  runs.sort((a, b) => a[1] - a[0] - (b[1] - b[0]));
  const [raw, follow] = runs[2]!;
  const changes = n * batchSize;
  return { source, batchSize, followerNsPerChange: ns(follow, changes), rawNsPerChange: ns(raw, changes), overheadNsPerChange: ns(follow - raw, changes) + (sink < 0 ? 1 : 0) };
}

// --- Shared: a worker over 1,000 models and 1,000 model watchers --------------------------------
async function startWorker(): Promise<{ backing: MemoryBacking; worker: MultiwatcherWorker }> {
  const initial: EntityInfo[] = [];
  for (let m = 0; m < MODELS; m++) for (let u = 0; u < UNITS_PER_MODEL; u++) initial.push(unit(m, u, { t: 0, seq: 0 }));
  const backing = new MemoryBacking({ initial });
  const worker = new MultiwatcherWorker({ clock: new SystemClock(), logger: nullLogger, backing });
  return { backing, worker };
}

type Consumer = (e: EntityInfo) => void;


/** Starts one follower per model, each on its own model watcher (fromWatcher + watchEntities). */
function consume(worker: MultiwatcherWorker, onChange: Consumer, signal: AbortSignal): Promise<unknown>[] {
  setMaxListeners(MODELS + 10, signal); // one signal shared by 1,000 followers (see docs/follower.md)
  const runs: Promise<unknown>[] = [];
  for (let m = 0; m < MODELS; m++) {
    const w: Watcher = worker.watchModel(uuid(m));
    const f = simpleFollower({ filterFn: (e) => e.kind === 'unit', onNewUpdated: onChange });
    runs.push(watchEntities(fromWatcher(w), f, { signal }).catch(() => undefined));
  }
  return runs;
}

const settleTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

// --- 2. End-to-end latency at 1,000 changes/s ------------------------------------------------
async function latency(): Promise<Record<string, number>> {
  const { backing, worker } = await startWorker();
  const ac = new AbortController();
  const samples: number[] = [];
  let initial = 0;
  const runs = consume(worker, (e) => {
    const t = e.data.t as number;
    if (t === 0) initial++;
    else samples.push(performance.now() - t);
  }, ac.signal);
  while (initial < MODELS * UNITS_PER_MODEL) await settleTurn();
  gc();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const start = performance.now();
  let sent = 0;
  let seq = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - start;
      const due = Math.min(Math.floor((elapsed / 1000) * RATE_PER_S), LATENCY_SECONDS * RATE_PER_S);
      for (; sent < due; sent++) {
        seq++;
        backing.update(unit((seq * 7919) % MODELS, seq % UNITS_PER_MODEL, { t: performance.now(), seq }));
      }
      if (sent >= LATENCY_SECONDS * RATE_PER_S) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  while (samples.length < sent) await settleTurn();
  loop.disable();
  const rssMiB = process.memoryUsage().rss / 2 ** 20;
  ac.abort();
  await Promise.all(runs);
  worker.kill();
  await worker.wait().catch(() => undefined);
  samples.sort((a, b) => a - b);
  return {
    changes: sent,
    seconds: LATENCY_SECONDS,
    p50Ms: +percentile(samples, 50).toFixed(3),
    p99Ms: +percentile(samples, 99).toFixed(3),
    maxMs: +(samples.at(-1) ?? NaN).toFixed(3),
    rssMiB: Math.round(rssMiB),
    loopDelayP50Ms: +(loop.percentile(50) / 1e6).toFixed(2),
    loopDelayP99Ms: +(loop.percentile(99) / 1e6).toFixed(2),
    loopDelayMaxMs: +(loop.max / 1e6).toFixed(2),
  };
}

async function main(): Promise<void> {
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    ramGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  console.log(`modelwatch follower benchmark${quick ? ' (--quick)' : ''}`);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB, Node ${machine.node}`);

  console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  // The real-watcher rows first, while the follower's code has seen only the source a user runs (a
  // multiwatcher watcher): the in-process rows feed it three other source shapes, and the type
  // feedback they leave (polymorphic call sites) would slow the real-watcher rows by up to ~0.4 µs
  // per change, a cost a process with one kind of source does not pay.
  const loadBeforeReal = os.loadavg()[0] ?? NaN;
  const real = [];
  for (const batchSize of [1, 10]) {
    const r = await realWatcherOverhead({ models: MODELS, unitsPerModel: UNITS_PER_MODEL, changesPerRun: REAL_CHANGES, pairs: REAL_PAIRS, uuid }, batchSize);
    real.push(r);
    const spread = r.runs.map((p) => p.followerCpuNs - p.rawCpuNs).sort((a, b) => a - b);
    console.log(
      `overhead, fromWatcher over ${MODELS} real multiwatcher watchers, ${batchSize}-change commits (mean batch ${r.meanDeliveredBatch}), median of ${REAL_PAIRS} pairs: ` +
        `cpu follower ${r.followerNsPerChange} vs raw ${r.rawNsPerChange} ns/change → ${r.overheadNsPerChange} ns per matched change ` +
        `(pairs ${spread[0]}…${spread.at(-1)}; ${(r.overheadChangesPerCpuSecond / 1e6).toFixed(2)} M changes per CPU-second of overhead); ` +
        `wall ${r.followerWallNsPerChange} vs ${r.rawWallNsPerChange} ns/change → ${r.overheadWallNsPerChange} ns`,
    );
  }
  const micro: MicroResult[] = [];
  for (const source of ['events', 'fromWatcher', 'fromWatcher+wasReset'] as const) {
    for (const batchSize of [1, 10]) {
      const m = await microOverhead(source, batchSize);
      micro.push(m);
      console.log(`overhead, ${m.source} source, ${m.batchSize}-change batches (cpu, median of 5): follower ${m.followerNsPerChange} ns/change, raw loop ${m.rawNsPerChange} ns/change → ${m.overheadNsPerChange} ns per matched change`);
    }
  }

  const lat = await latency();
  console.log(`end-to-end at ${RATE_PER_S}/s for ${lat.seconds} s (${lat.changes} changes, ${MODELS} followers, ${MODELS * UNITS_PER_MODEL} units): p50 ${lat.p50Ms} ms, p99 ${lat.p99Ms} ms, max ${lat.maxMs} ms`);
  console.log(`event-loop delay p50 ${lat.loopDelayP50Ms} ms, p99 ${lat.loopDelayP99Ms} ms, max ${lat.loopDelayMaxMs} ms; RSS ${lat.rssMiB} MiB`);
  const loadAtEnd = os.loadavg().map((l) => +l.toFixed(2));
  console.log(`load average at end: ${loadAtEnd.join(' ')}`);

  const overheadTargetNs = 1_000;
  const result = {
    benchmark: 'follower',
    quick,
    date: new Date().toISOString(),
    machine: { ...machine, loadAverageBeforeRealWatcherRuns: +loadBeforeReal.toFixed(2), loadAverageAtEnd: loadAtEnd },
    workload: { models: MODELS, followers: MODELS, unitsPerModel: UNITS_PER_MODEL, ratePerSecond: RATE_PER_S },
    overheadPerMatchedChange: {
      targetNs: overheadTargetNs,
      runs: micro,
      realWatchers: real,
      met: micro.every((m) => m.overheadNsPerChange <= overheadTargetNs) && real.every((r) => r.overheadNsPerChange <= overheadTargetNs),
    },
    endToEnd: lat,
  };
  writeFileSync(new URL('../../bench-results/follower.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench-results/follower.json');
}

await main();
