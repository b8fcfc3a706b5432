// Benchmark of modelwatch/follower (issue 6): 1,000 followers, each on its own model watcher over
// 1,000 models, fed 1,000 changes/s by a real MultiwatcherWorker over the in-memory backing.
// Reports (1) the follower's overhead per matched change beyond the user callback, measured against
// a raw consumer of the same input, and (2) end-to-end latency, backing commit → user callback.
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

const quick = process.argv.includes('--quick');
const MODELS = 1_000;
const UNITS_PER_MODEL = 10;
const RATE_PER_S = 1_000;
const LATENCY_SECONDS = quick ? 3 : 20;
const MICRO_CHANGES = quick ? 200_000 : 2_000_000;
const SATURATE_CHANGES = quick ? 10_000 : 50_000;
const SATURATE_ROUNDS = quick ? 1 : 5;

const uuid = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const unit = (m: number, u: number, data: Record<string, unknown>): EntityInfo => ({ kind: 'unit', modelUUID: uuid(m), id: `app/${u}`, data });
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const ns = (ms: number, n: number): number => Math.round((ms * 1e6) / n);

function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

// --- 1a. Overhead per matched change on an in-process source (no I/O, no worker) --------------
/** A source of prebuilt single-change events, as cheap as an async iterator can be. */
function arraySource(events: WatchEvent[]): EntitySource {
  return {
    [Symbol.asyncIterator]: () => {
      let i = 0;
      return { next: () => Promise.resolve(i < events.length ? { done: false, value: events[i++]! } : { done: true, value: undefined }) };
    },
  };
}

async function microOverhead(batchSize: number): Promise<{ batchSize: number; followerNsPerChange: number; rawNsPerChange: number; overheadNsPerChange: number }> {
  const n = Math.floor(MICRO_CHANGES / batchSize);
  const events: WatchEvent[] = [];
  for (let i = 0; i < n; i++) {
    const entities: EntityInfo[] = [];
    for (let j = 0; j < batchSize; j++) entities.push(unit(0, (i * batchSize + j) % 100, { v: i }));
    events.push({ entities, tombstones: [] });
  }
  let sink = 0;
  const user = (e: EntityInfo): void => void (sink += e.id.length);
  const runs: Array<[number, number]> = [];
  for (let r = 0; r < 5; r++) {
    gc();
    let t = performance.now();
    for await (const ev of arraySource(events)) {
      for (const e of ev.entities) user(e);
      sink++; // the batch-done the raw consumer would do
    }
    const raw = performance.now() - t;
    gc();
    t = performance.now();
    await watchEntities(arraySource(events), simpleFollower({ onNewUpdated: user, onBatchDone: () => void sink++ }));
    runs.push([raw, performance.now() - t]);
  }
  runs.sort((a, b) => a[1] - a[0] - (b[1] - b[0]));
  const [raw, follow] = runs[2]!;
  const changes = n * batchSize;
  return { batchSize, followerNsPerChange: ns(follow, changes), rawNsPerChange: ns(raw, changes), overheadNsPerChange: ns(follow - raw, changes) + (sink < 0 ? 1 : 0) };
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
type Mode = 'follower' | 'raw';

/** Starts one consumer per model: a follower (fromWatcher + watchEntities) or a raw loop on w.next(). */
function consume(worker: MultiwatcherWorker, mode: Mode, onChange: Consumer, signal: AbortSignal): Promise<unknown>[] {
  setMaxListeners(MODELS + 10, signal); // one signal shared by 1,000 followers (see docs/follower.md)
  const runs: Promise<unknown>[] = [];
  for (let m = 0; m < MODELS; m++) {
    const w: Watcher = worker.watchModel(uuid(m));
    if (mode === 'follower') {
      const f = simpleFollower({ filterFn: (e) => e.kind === 'unit', onNewUpdated: onChange });
      runs.push(watchEntities(fromWatcher(w), f, { signal }).catch(() => undefined));
    } else {
      runs.push(rawLoop(w, onChange, signal));
    }
  }
  return runs;
}

/** The baseline: what a consumer with no follower would do with the same batches. */
async function rawLoop(w: DeltaSource, onChange: Consumer, signal: AbortSignal): Promise<void> {
  signal.addEventListener('abort', () => void w.stop(), { once: true });
  try {
    for (;;) {
      const batch: Delta[] = await w.next();
      for (const d of batch) if (!d.removed && d.entity.kind === 'unit') onChange(d.entity);
    }
  } catch {
    // stopped
  }
}

const settleTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

// --- 1b. Overhead per matched change through the real worker, saturated ------------------------
async function saturatedOverhead(mode: Mode): Promise<{ mode: Mode; nsPerChange: number; cpuNsPerChange: number }> {
  const { backing, worker } = await startWorker();
  const ac = new AbortController();
  let seen = 0;
  const runs = consume(worker, mode, () => void seen++, ac.signal);
  while (seen < MODELS * UNITS_PER_MODEL) await settleTurn();
  gc();
  const base = seen;
  const cpu = process.cpuUsage();
  const t = performance.now();
  // Bursts of 100 changes to distinct models, then let them drain: the follower sees one-change batches.
  for (let i = 0; i < SATURATE_CHANGES; i += 100) {
    for (let j = 0; j < 100; j++) backing.update(unit((i + j * 7) % MODELS, j % UNITS_PER_MODEL, { seq: i + j }));
    while (seen - base < i + 100) await settleTurn();
  }
  const wall = performance.now() - t;
  const c = process.cpuUsage(cpu);
  ac.abort();
  await Promise.all(runs);
  worker.kill();
  await worker.wait().catch(() => undefined);
  return { mode, nsPerChange: ns(wall, SATURATE_CHANGES), cpuNsPerChange: Math.round(((c.user + c.system) * 1e3) / SATURATE_CHANGES) };
}

// --- 2. End-to-end latency at 1,000 changes/s ------------------------------------------------
async function latency(): Promise<Record<string, number>> {
  const { backing, worker } = await startWorker();
  const ac = new AbortController();
  const samples: number[] = [];
  let initial = 0;
  const runs = consume(worker, 'follower', (e) => {
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

  const micro = [await microOverhead(1), await microOverhead(10)];
  for (const m of micro) {
    console.log(`in-process source, ${m.batchSize}-change events: follower ${m.followerNsPerChange} ns/change, raw loop ${m.rawNsPerChange} ns/change → overhead ${m.overheadNsPerChange} ns per matched change`);
  }
  // Alternate raw and follower rounds and keep the median difference: the machine may be shared.
  const rounds: Array<{ raw: Awaited<ReturnType<typeof saturatedOverhead>>; fol: Awaited<ReturnType<typeof saturatedOverhead>> }> = [];
  for (let r = 0; r < SATURATE_ROUNDS; r++) rounds.push({ raw: await saturatedOverhead('raw'), fol: await saturatedOverhead('follower') });
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const raw = { nsPerChange: median(rounds.map((r) => r.raw.nsPerChange)), cpuNsPerChange: median(rounds.map((r) => r.raw.cpuNsPerChange)) };
  const fol = { nsPerChange: median(rounds.map((r) => r.fol.nsPerChange)), cpuNsPerChange: median(rounds.map((r) => r.fol.cpuNsPerChange)) };
  const workerOverhead = {
    rounds: SATURATE_ROUNDS,
    rawNsPerChange: raw.nsPerChange,
    followerNsPerChange: fol.nsPerChange,
    overheadNsPerChange: median(rounds.map((r) => r.fol.nsPerChange - r.raw.nsPerChange)),
    rawCpuNsPerChange: raw.cpuNsPerChange,
    followerCpuNsPerChange: fol.cpuNsPerChange,
    overheadCpuNsPerChange: median(rounds.map((r) => r.fol.cpuNsPerChange - r.raw.cpuNsPerChange)),
  };
  console.log(`real worker, ${MODELS} model watchers, saturated (median of ${SATURATE_ROUNDS}): raw ${raw.nsPerChange} ns/change (cpu ${raw.cpuNsPerChange}), follower ${fol.nsPerChange} ns/change (cpu ${fol.cpuNsPerChange}) → overhead ${workerOverhead.overheadNsPerChange} ns wall, ${workerOverhead.overheadCpuNsPerChange} ns cpu per matched change`);

  const lat = await latency();
  console.log(`end-to-end at ${RATE_PER_S}/s for ${lat.seconds} s (${lat.changes} changes, ${MODELS} followers, ${MODELS * UNITS_PER_MODEL} units): p50 ${lat.p50Ms} ms, p99 ${lat.p99Ms} ms, max ${lat.maxMs} ms`);
  console.log(`event-loop delay p50 ${lat.loopDelayP50Ms} ms, p99 ${lat.loopDelayP99Ms} ms, max ${lat.loopDelayMaxMs} ms; RSS ${lat.rssMiB} MiB`);

  const overheadTargetNs = 1_000;
  const result = {
    benchmark: 'follower',
    quick,
    date: new Date().toISOString(),
    machine,
    workload: { models: MODELS, followers: MODELS, unitsPerModel: UNITS_PER_MODEL, ratePerSecond: RATE_PER_S },
    overheadPerMatchedChange: { targetNs: overheadTargetNs, inProcess: micro, realWorker: workerOverhead, met: micro[0]!.overheadNsPerChange <= overheadTargetNs },
    endToEnd: lat,
  };
  writeFileSync(new URL('../../bench-results/follower.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench-results/follower.json');
}

await main();
