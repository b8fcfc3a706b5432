// Benchmark of the multiwatcher (issue 3): idle-watcher memory, delivery latency under load, throughput
// against upstream's wake-every-watcher design in the same run, and snapshot / load times.
// Run: npm run bench:multiwatcher [-- --quick]. Writes bench-results/multiwatcher.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { nullLogger, SystemClock } from '../core/index.js';
import type { Delta } from '../core/index.js';
import { BenchBacking } from './bench/bench-backing.js';
import { NaiveWorker } from './bench/naive-worker.js';
import { isErrStopped } from './errors.js';
import { MultiwatcherWorker } from './worker.js';

const quick = process.argv.includes('--quick');
/** `--only=throughput` (or idle, latency, indexed, snapshots) runs one measurement, without writing the JSON. */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const P = quick
  ? { idleWatchers: 10_000, idleModels: 1_000, watchers: 1_000, models: 100, rate: 1_000, seconds: 3, tputSeconds: 1, naiveSeconds: 2, bigModel: 10_000, loadEntities: 100_000 }
  : { idleWatchers: 100_000, idleModels: 1_000, watchers: 10_000, models: 1_000, rate: 1_000, seconds: 30, tputSeconds: 5, naiveSeconds: 10, bigModel: 10_000, loadEntities: 100_000 };

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const mb = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;
const r2 = (x: number): number => Math.round(x * 100) / 100;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function machine(): Record<string, unknown> {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, ramGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, shared: true };
}

function newWorker(backing: BenchBacking): MultiwatcherWorker {
  return new MultiwatcherWorker({ clock: new SystemClock(), logger: nullLogger, backing });
}

async function stopWorker(w: MultiwatcherWorker): Promise<void> {
  w.kill();
  await w.wait();
}

/** 1. Heap per idle model watcher: created only, then blocked in next() after its first batch. */
async function idleMemory(): Promise<Record<string, number>> {
  const backing = new BenchBacking(P.idleModels, 1);
  const worker = newWorker(backing);
  await worker.watchController().next();
  gc();
  const base = process.memoryUsage().heapUsed;
  const watchers = [];
  for (let i = 0; i < P.idleWatchers; i++) watchers.push(worker.watchModel(backing.models[i % P.idleModels] ?? ''));
  gc();
  const created = process.memoryUsage().heapUsed;
  await Promise.all(watchers.map((w) => w.next()));
  const blocked = watchers.map((w) => w.next()); // held as a consumer holds its pending call
  gc();
  const waiting = process.memoryUsage().heapUsed;
  const rss = process.memoryUsage().rss;
  const settled = blocked.map((p) => p.catch(() => []));
  await stopWorker(worker);
  await Promise.all(settled);
  return {
    watchers: P.idleWatchers,
    bytesPerCreatedWatcher: Math.round((created - base) / P.idleWatchers),
    bytesPerBlockedWatcher: Math.round((waiting - base) / P.idleWatchers),
    rssMiB: mb(rss),
  };
}

/** Consumer loops over `count` model watchers; returns a stop function. */
function consume(next: (i: number) => Promise<Delta[]>, count: number, onBatch: (batch: Delta[], now: number) => void): { ready: Promise<void>; done: Promise<unknown> } {
  let firsts = 0;
  let signalReady!: () => void;
  const ready = new Promise<void>((r) => (signalReady = r));
  const loops = [];
  for (let i = 0; i < count; i++) {
    loops.push(
      (async () => {
        await next(i);
        if (++firsts === count) signalReady();
        for (;;) {
          let batch: Delta[];
          try {
            batch = await next(i);
          } catch (err) {
            if (isErrStopped(err)) return;
            throw err;
          }
          onBatch(batch, performance.now());
        }
      })(),
    );
  }
  return { ready, done: Promise.all(loops) };
}

/** 2. Latency store.update → next() resolving, at a paced rate, with event-loop delay. */
async function latency(): Promise<Record<string, unknown>> {
  const backing = new BenchBacking(P.models, 10);
  const worker = newWorker(backing);
  const watchers = Array.from({ length: P.watchers }, (_, i) => worker.watchModel(backing.models[i % P.models] ?? ''));
  const samples = new Float64Array(P.rate * P.seconds * (P.watchers / P.models) * 2);
  let n = 0;
  let delivered = 0;
  const loops = consume((i) => watchers[i]!.next(), P.watchers, (batch, now) => {
    delivered += batch.length;
    for (const d of batch) if (n < samples.length) samples[n++] = now - (d.entity.data.t as number);
  });
  await loops.ready;
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const start = performance.now();
  let emitted = 0;
  const rssBefore = process.memoryUsage().rss;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = (performance.now() - start) / 1000;
      const due = Math.min(P.rate * P.seconds, Math.floor(elapsed * P.rate));
      for (; emitted < due; emitted++) backing.emit(Math.floor(Math.random() * P.models), Math.floor(Math.random() * 10));
      if (elapsed >= P.seconds) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 50));
  eld.disable();
  const elapsed = (performance.now() - start) / 1000;
  const rss = process.memoryUsage().rss;
  await stopWorker(worker);
  await loops.done;
  const sorted = samples.slice(0, n).sort();
  return {
    watchers: P.watchers, models: P.models, changesPerSecond: P.rate, seconds: P.seconds, changes: emitted,
    deliveredPerSecond: Math.round(delivered / elapsed),
    latencyMs: { p50: r2(percentile(sorted, 0.5)), p99: r2(percentile(sorted, 0.99)), max: r2(sorted[sorted.length - 1] ?? 0) },
    eventLoopDelayMs: { p50: r2(eld.percentile(50) / 1e6), p99: r2(eld.percentile(99) / 1e6), max: r2(eld.max / 1e6) },
    rssMiB: mb(rss), rssGrowthMiB: mb(rss - rssBefore),
  };
}

/** 3. Saturated throughput of one implementation: changes processed and deltas delivered per second. */
async function throughput(kind: 'indexed' | 'naive', seconds: number): Promise<Record<string, number>> {
  const backing = new BenchBacking(P.models, 10);
  const ours = kind === 'indexed' ? newWorker(backing) : undefined;
  const naive = kind === 'naive' ? new NaiveWorker(backing) : undefined;
  const nexts = Array.from({ length: P.watchers }, (_, i) => {
    const model = backing.models[i % P.models] ?? '';
    const w = ours !== undefined ? ours.watchModel(model) : naive!.watchModel(model);
    return () => w.next();
  });
  let delivered = 0;
  let counting = false;
  const loops = consume((i) => nexts[i]!(), P.watchers, (batch) => {
    if (counting) delivered += batch.length;
  });
  await loops.ready;
  const queueSize = (): number => (ours !== undefined ? (ours.report()['queue-size'] as number) : naive!.queueSize);
  let running = true;
  const pump = (): void => {
    if (!running) return;
    // Keep the queue from running dry: top it up on every event-loop turn (a 1 ms timer left the
    // indexed worker idle between refills on the loaded machine).
    for (let q = queueSize(); q < 1024; q++) backing.emit(Math.floor(Math.random() * P.models), Math.floor(Math.random() * 10));
    setImmediate(pump);
  };
  pump();
  await new Promise((r) => setTimeout(r, 200)); // warm-up
  const c0 = backing.changedCount;
  const t0 = performance.now();
  counting = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const dt = (performance.now() - t0) / 1000;
  const changes = backing.changedCount - c0;
  running = false;
  if (ours !== undefined) await stopWorker(ours);
  else {
    naive!.stop();
    // Naive watchers never hear of the stop; their loops are simply dropped.
  }
  if (ours !== undefined) await loops.done;
  return { changesPerSecond: Math.round(changes / dt), deltasPerSecond: Math.round(delivered / dt), seconds: r2(dt) };
}

/** 4. First next() on a 10,000-entity model; 100,000 entities loaded by getAll. */
async function snapshots(): Promise<Record<string, number>> {
  const big = new BenchBacking(1, P.bigModel);
  const w1 = newWorker(big);
  await w1.watchController().next();
  const t0 = performance.now();
  const first = await w1.watchModel(big.models[0] ?? '').next();
  const firstNextMs = performance.now() - t0;
  await stopWorker(w1);
  const load = new BenchBacking(P.loadEntities / 100, 100);
  const t1 = performance.now();
  const w2 = newWorker(load);
  await w2.watchModel(load.models[0] ?? '').next(); // answered once getAll completed
  const loadMs = performance.now() - t1;
  const t2 = performance.now();
  const all = await w2.watchController().next();
  const controllerFirstNextMs = performance.now() - t2;
  await stopWorker(w2);
  return { modelEntities: first.length, firstNextMs: r2(firstNextMs), loadedEntities: P.loadEntities, loadMs: r2(loadMs), controllerFirstNextMs: r2(controllerFirstNextMs), controllerEntities: all.length };
}

async function main(): Promise<void> {
  const m = machine();
  console.log(`multiwatcher benchmark${quick ? ' (--quick)' : ''}: ${String(m.cpu)}, ${String(m.cores)} cores, ${String(m.ramGiB)} GiB, Node ${String(m.node)} (shared machine)`);
  if (only !== undefined) {
    const run = { indexed: () => throughput('indexed', P.tputSeconds), idle: idleMemory, latency, snapshots, throughput: async () => ({ indexed: await throughput('indexed', P.tputSeconds), naive: await throughput('naive', P.naiveSeconds) }) }[only];
    console.log(only, run === undefined ? 'unknown measurement' : await run());
    return; // no process.exit: lets --cpu-prof write its profile
  }
  const idle = await idleMemory();
  console.log('1. idle watchers', idle);
  await turn();
  const lat = await latency();
  console.log('2. latency', lat);
  const indexed = await throughput('indexed', P.tputSeconds);
  const naive = await throughput('naive', P.naiveSeconds);
  const ratio = r2((indexed.changesPerSecond ?? 0) / Math.max(1, naive.changesPerSecond ?? 0));
  console.log('3. throughput', { watchers: P.watchers, models: P.models, indexed, naive, ratio });
  const snap = await snapshots();
  console.log('4. snapshots', snap);
  const result = {
    machine: m, quick, date: new Date().toISOString(),
    idle, latency: lat, throughput: { watchers: P.watchers, models: P.models, indexed, naive, ratio }, snapshots: snap,
    rssMiB: mb(process.memoryUsage().rss),
    targets: {
      heapPerWatcherBytesMax: 2048, latencyP50MsMax: 1, latencyP99MsMax: 10, ratioMin: 100, firstNextMsMax: 100, loadMsMax: 2000,
    },
  };
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/multiwatcher.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench-results/multiwatcher.json');
  process.exit(0);
}

void main();
