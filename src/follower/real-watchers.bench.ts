// Part of the follower benchmark (follower.bench.ts): the overhead per matched change on the path
// users run, fromWatcher over real multiwatcher watchers (which have wasReset(), so fromWatcher keeps
// its live set for the reset diff). 1,000 model watchers of a MultiwatcherWorker over the in-memory
// backing, fed in rounds of one commit of `batchSize` unit updates per model; each round is
// consumed either by 1,000 followers or by 1,000 raw `w.next()` loops calling the same user callback.
// The worker's ingestion costs far more per change than the follower (tens of µs on a small VM), so
// a round is split in two: the worker first ingests the round's commits while every consumer is held
// at a gate before its next w.next(), untimed; then the gate opens and only the consumption is timed
// (CPU and wall): each w.next() computing its batch from the store, the consumer, the user callback.
// The difference between the two consumers is the follower's cost.
import { setMaxListeners } from 'node:events';
import type { Delta, EntityInfo } from '../core/index.js';
import { SystemClock, deferred, nullLogger } from '../core/index.js';
import type { Deferred } from '../core/index.js';
import { MultiwatcherWorker } from '../multiwatcher/index.js';
import type { Watcher } from '../multiwatcher/index.js';
import { MemoryBacking } from '../multiwatcher/testing/index.js';
import { fromWatcher, simpleFollower, watchEntities } from './index.js';

/** One measured pair of runs, per matched change: CPU time (user + system) and wall time. */
export interface RealWatcherSample {
  followerCpuNs: number;
  rawCpuNs: number;
  followerWallNs: number;
  rawWallNs: number;
}

/** The median pair (by CPU overhead) of several, with the mean batch size the watchers delivered. */
export interface RealWatcherResult {
  source: 'real multiwatcher watchers';
  batchSize: number;
  meanDeliveredBatch: number;
  followerNsPerChange: number;
  rawNsPerChange: number;
  overheadNsPerChange: number;
  followerWallNsPerChange: number;
  rawWallNsPerChange: number;
  overheadWallNsPerChange: number;
  /** Matched changes per CPU-second the follower adds work for (1e9 / overhead). */
  overheadChangesPerCpuSecond: number;
  runs: RealWatcherSample[];
}

export interface RealWatcherConfig {
  models: number;
  unitsPerModel: number;
  changesPerRun: number;
  pairs: number;
  uuid(i: number): string;
}

const cpuNs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) * 1e3;
};
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** The gate of a run: a deferred replaced by a closed one each time it opens. */
interface Gate {
  at: Deferred<void>;
}

/**
 * What both consumers read: a real watcher behind the gate. The first next() (the backlog) passes;
 * every later one waits for the gate to open. Methods on the prototype, not closures per watcher,
 * so wasReset() touches no memory the raw consumer's next() did not (a fair comparison).
 */
class GatedWatcher implements Pick<Watcher, 'next' | 'stop' | 'wasReset' | 'resetsOnlyFirstBatch'> {
  /** Passed on from the watcher, as fromWatcher would read it on the watcher itself. */
  readonly resetsOnlyFirstBatch?: boolean;
  readonly #w: Watcher;
  readonly #gate: Gate;
  #backlog = true;

  constructor(w: Watcher, gate: Gate) {
    this.#w = w;
    this.#gate = gate;
    if (w.resetsOnlyFirstBatch !== undefined) this.resetsOnlyFirstBatch = w.resetsOnlyFirstBatch;
  }

  next(): Promise<Delta[]> {
    if (!this.#backlog) return this.#gate.at.promise.then(() => this.#w.next());
    this.#backlog = false;
    return this.#w.next();
  }

  stop(): Promise<void> {
    return this.#w.stop();
  }

  wasReset(): boolean {
    return this.#w.wasReset();
  }
}

/** A consumer of every watcher: calls `user` per matched change and `batch` per batch. */
type Consumer = (watchers: GatedWatcher[], user: (e: EntityInfo) => void, batch: () => void, signal: AbortSignal) => Promise<unknown>[];

const rawConsumer: Consumer = (watchers, user, batch) =>
  watchers.map(async (w) => {
    try {
      for (;;) {
        for (const d of await w.next()) if (!d.removed) user(d.entity);
        batch();
      }
    } catch {
      // "watcher was stopped": the run is over
    }
  });

const followerConsumer: Consumer = (watchers, user, batch, signal) =>
  // The default filter and equals, as in the in-process rows: a filterFn would be user code, like `user`.
  watchers.map((w) => watchEntities(fromWatcher(w), simpleFollower({ onNewUpdated: user, onBatchDone: batch }), { signal }).catch(() => undefined));

type RunResult = Awaited<ReturnType<typeof oneRun>>;

/**
 * One run: fresh watchers, the backlog consumed (not timed), then `rounds` rounds: commit and
 * ingest (not timed), open the gate, consume (timed) until every change reached the user callback
 * and every watcher finished its batch.
 */
async function oneRun(
  cfg: RealWatcherConfig,
  backing: MemoryBacking,
  consumer: Consumer,
  watchers: Watcher[],
  batchSize: number,
  round0: number,
): Promise<{ cpu: number; wall: number; changes: number; batches: number }> {
  const ac = new AbortController();
  setMaxListeners(cfg.models + 10, ac.signal);
  let seen = 0;
  let batches = 0;
  let targetSeen = cfg.models * cfg.unitsPerModel; // the backlog
  let targetBatches = cfg.models;
  let done: Deferred<void> = deferred();
  const check = (): void => {
    if (seen >= targetSeen && batches >= targetBatches) done.resolve();
  };
  const user = (e: EntityInfo): void => {
    seen++;
    if (e.data.r === -1) seen = -1e9; // never: keeps the read of e honest
    if (seen === targetSeen) check();
  };
  const batch = (): void => {
    if (++batches === targetBatches) check();
  };
  const gate: Gate = { at: deferred() };
  const gated = watchers.map((w) => new GatedWatcher(w, gate));
  const runs = consumer(gated, user, batch, ac.signal);
  await done.promise;
  const rounds = Math.max(1, Math.floor(cfg.changesPerRun / (cfg.models * batchSize)));
  let cpu = 0;
  let wall = 0;
  let delivered = 0;
  for (let r = 0; r < rounds; r++) {
    const changed = backing.calls.changed + cfg.models * batchSize;
    for (let m = 0; m < cfg.models; m++) {
      const modelUUID = cfg.uuid(m);
      backing.commit((tx) => {
        for (let u = 0; u < batchSize; u++) tx.update({ kind: 'unit', modelUUID, id: `app/${(r + u) % cfg.unitsPerModel}`, data: { r: round0 + r } });
      });
    }
    while (backing.calls.changed < changed) await settleTurn(); // the worker ingests, untimed
    await settleTurn();
    seen = 0;
    batches = 0;
    targetSeen = cfg.models * batchSize;
    targetBatches = cfg.models;
    done = deferred();
    const open = gate.at;
    gate.at = deferred();
    const c0 = cpuNs();
    const w0 = performance.now();
    open.resolve();
    await done.promise;
    cpu += cpuNs() - c0;
    wall += (performance.now() - w0) * 1e6;
    delivered += batches;
  }
  ac.abort();
  for (const w of watchers) void w.stop();
  gate.at.resolve();
  await Promise.all(runs);
  return { cpu, wall, changes: rounds * cfg.models * batchSize, batches: delivered };
}

const settleTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

function watchModels(worker: MultiwatcherWorker, cfg: RealWatcherConfig): Watcher[] {
  const watchers: Watcher[] = [];
  for (let m = 0; m < cfg.models; m++) watchers.push(worker.watchModel(cfg.uuid(m)));
  return watchers;
}

/** Median of `pairs` interleaved (raw, follower) runs over one worker. */
export async function realWatcherOverhead(cfg: RealWatcherConfig, batchSize: number): Promise<RealWatcherResult> {
  const initial: EntityInfo[] = [];
  for (let m = 0; m < cfg.models; m++) for (let u = 0; u < cfg.unitsPerModel; u++) initial.push({ kind: 'unit', modelUUID: cfg.uuid(m), id: `app/${u}`, data: { r: 0 } });
  const backing = new MemoryBacking({ initial });
  const worker = new MultiwatcherWorker({ clock: new SystemClock(), logger: nullLogger, backing });
  const runs: RealWatcherSample[] = [];
  let round0 = 1;
  let changes = 0;
  let batches = 0;
  try {
    for (let p = 0; p < cfg.pairs; p++) {
      // Counterbalanced: odd pairs run the follower first, so whatever the first run of a pair
      // leaves behind (heap, caches, the worker's store) weighs on both consumers alike.
      const order = p % 2 === 0 ? [rawConsumer, followerConsumer] : [followerConsumer, rawConsumer];
      const results = [];
      for (const consumer of order) {
        results.push(await oneRun(cfg, backing, consumer, watchModels(worker, cfg), batchSize, round0));
        round0 += 1_000_000;
        gc();
      }
      const [raw, fol] = (p % 2 === 0 ? results : results.reverse()) as [RunResult, RunResult];
      changes += fol.changes;
      batches += fol.batches;
      runs.push({
        rawCpuNs: Math.round(raw.cpu / raw.changes),
        followerCpuNs: Math.round(fol.cpu / fol.changes),
        rawWallNs: Math.round(raw.wall / raw.changes),
        followerWallNs: Math.round(fol.wall / fol.changes),
      });
    }
  } finally {
    worker.kill();
    await worker.wait().catch(() => undefined);
  }
  const byCpu = [...runs].sort((a, b) => a.followerCpuNs - a.rawCpuNs - (b.followerCpuNs - b.rawCpuNs));
  const byWall = [...runs].sort((a, b) => a.followerWallNs - a.rawWallNs - (b.followerWallNs - b.rawWallNs));
  const mid = byCpu[Math.floor(byCpu.length / 2)] as RealWatcherSample;
  const midWall = byWall[Math.floor(byWall.length / 2)] as RealWatcherSample;
  const overhead = mid.followerCpuNs - mid.rawCpuNs;
  return {
    source: 'real multiwatcher watchers',
    batchSize,
    meanDeliveredBatch: +(changes / Math.max(1, batches)).toFixed(2),
    followerNsPerChange: mid.followerCpuNs,
    rawNsPerChange: mid.rawCpuNs,
    overheadNsPerChange: overhead,
    followerWallNsPerChange: midWall.followerWallNs,
    rawWallNsPerChange: midWall.rawWallNs,
    overheadWallNsPerChange: midWall.followerWallNs - midWall.rawWallNs,
    overheadChangesPerCpuSecond: overhead > 0 ? Math.round(1e9 / overhead) : Infinity,
    runs,
  };
}
