// The primary of `serve --workers N`: forks N cluster workers that each run a whole controller on the
// same database and share the listening socket (the primary hands each new connection to the next
// worker in turn); relays every worker's rings to the others (SQLite has no NOTIFY); answers a
// worker's metrics request with the sum over all workers; restarts a worker that dies, with back-off.
// A worker that exits before any worker ever listened fails the whole supervisor: a configuration
// that cannot start (a bad TLS file, a port in use) must not be retried forever.
import cluster from 'node:cluster';
import type { Worker as ClusterWorker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Clock, Logger, Reporter, TimerHandle, Worker } from '../core/index.js';
import { ModelwatchError, deferred, exponentialDelayMs, registeredMetric } from '../core/index.js';
import { parseClusterMessage } from './messages.js';
import type { ClusterMessage, RegistryMetrics, WorkerStats } from './messages.js';

export const MAX_WORKERS = 64;

export interface ClusterSupervisorConfig {
  workers: number;
  /** Script each worker runs, its arguments and Node flags (serve: this process's own). */
  exec: string;
  args: readonly string[];
  execArgv?: readonly string[];
  /** Extra environment of the workers (MODELWATCH_WORKER_INDEX is added). */
  env?: Readonly<Record<string, string>>;
  clock: Clock;
  logger: Logger;
  /** The primary's own metrics (`modelwatch_cluster_*`); /metrics adds them to the workers' sum. */
  registry?: Registry;
  /** Restart back-off: first delay and ceiling (defaults 1 s, 30 s); reset after a worker ran 10 s. */
  restartMinMs?: number;
  restartMaxMs?: number;
  /**
   * How long /metrics waits for the workers' registries (default 3 s: under a worker link's 5 s, so
   * the asking worker hears why).
   */
  metricsTimeoutMs?: number;
  /** After kill(), workers still running this long are sent SIGKILL (default 30 s). */
  stopTimeoutMs?: number;
}

interface Slot {
  index: number;
  worker: ClusterWorker | undefined;
  /** The worker has said it listens: it has a link that answers for its registry. */
  listened: boolean;
  startedAt: number;
  failures: number;
  restarts: number;
  restartTimer: TimerHandle | undefined;
}

/** See the file comment. Start with ClusterSupervisor.start(config). */
export class ClusterSupervisor implements Worker, Reporter {
  readonly #config: ClusterSupervisorConfig;
  readonly #slots: Slot[];
  readonly #done = deferred<void>();
  readonly #listening = deferred<string>();
  /** Pending /metrics requests: the workers not yet answered (by slot index), and the registries got. */
  readonly #registryWaiters = new Map<number, { waiting: Map<ClusterWorker, number>; got: RegistryMetrics[]; settle: (err?: Error) => void }>();
  readonly #statsWaiters = new Map<number, { want: number; got: WorkerStats[]; resolve: (s: WorkerStats[]) => void }>();
  readonly #metrics: { relayed: Counter; restarts: Counter; running: Gauge } | undefined;
  #everListened = false;
  #stopping = false;
  #failure: Error | undefined;
  #killTimer: TimerHandle | undefined;
  #relayed = 0;
  #nextStatsId = 0;
  #nextRegistryId = 0;

  private constructor(config: ClusterSupervisorConfig) {
    this.#config = config;
    this.#slots = Array.from({ length: config.workers }, (_, index) => ({ index, worker: undefined, listened: false, startedAt: 0, failures: 0, restarts: 0, restartTimer: undefined }));
    const r = config.registry;
    this.#metrics = r === undefined ? undefined : {
      relayed: registeredMetric(r, 'modelwatch_cluster_rings_relayed_total', () => new Counter({ name: 'modelwatch_cluster_rings_relayed_total', help: 'Rings the primary passed from one worker to the others', registers: [r] })),
      restarts: registeredMetric(r, 'modelwatch_cluster_worker_restarts_total', () => new Counter({ name: 'modelwatch_cluster_worker_restarts_total', help: 'Workers restarted after they died', registers: [r] })),
      running: registeredMetric(r, 'modelwatch_cluster_workers', () => new Gauge({ name: 'modelwatch_cluster_workers', help: 'Workers running', registers: [r] })),
    };
  }

  /**
   * Forks the workers. Only in a primary process.
   * @throws ModelwatchError NotValid for a worker count outside 1–64 or when called in a worker.
   */
  static start(config: ClusterSupervisorConfig): ClusterSupervisor {
    if (!Number.isSafeInteger(config.workers) || config.workers < 1 || config.workers > MAX_WORKERS) {
      throw new ModelwatchError('NotValid', `workers ${String(config.workers)} not valid: an integer from 1 to ${MAX_WORKERS}`);
    }
    if (!cluster.isPrimary) throw new ModelwatchError('NotValid', 'a cluster supervisor runs only in a primary process');
    cluster.setupPrimary({ exec: config.exec, args: [...config.args], execArgv: [...(config.execArgv ?? process.execArgv)] });
    const s = new ClusterSupervisor(config);
    for (const slot of s.#slots) s.#fork(slot);
    return s;
  }

  /**
   * Resolves with the API URL once the first worker listens.
   * @throws ModelwatchError (rejects) when the cluster fails first, or Stopped when kill() comes first.
   */
  listening(): Promise<string> {
    return this.#listening.promise;
  }

  /**
   * The whole cluster's metrics: the registries of the workers that listen, summed (prom-client's
   * AggregatorRegistry.aggregate), then the primary's own. A worker still starting is not asked (it
   * could not answer yet), and one that exits before it answers is left out.
   * @throws ModelwatchError TryAgain when a worker does not answer within metricsTimeoutMs, or fails to.
   */
  async metrics(): Promise<string> {
    const registries = await this.#workerRegistries();
    const workers = registries.length === 0 ? '' : await AggregatorRegistry.aggregate(registries).metrics();
    const own = this.#config.registry === undefined ? '' : await this.#config.registry.metrics();
    return `${workers}${workers.endsWith('\n') || workers === '' ? '' : '\n'}${own}`;
  }

  /**
   * Each live worker's stats; `resetEventLoop` starts a new event-loop-delay window, `settle` runs
   * three GCs first where the worker has --expose-gc. Workers that do not answer within 5 s are left out.
   */
  stats(opts: { resetEventLoop?: boolean; settle?: boolean } = {}): Promise<WorkerStats[]> {
    const live = this.#live();
    const id = this.#nextStatsId++;
    return new Promise((resolve) => {
      const timer = this.#config.clock.setTimeout(() => finish(), 5000);
      const finish = (): void => {
        timer.cancel();
        const w = this.#statsWaiters.get(id);
        this.#statsWaiters.delete(id);
        resolve((w?.got ?? []).sort((a, b) => a.index - b.index));
      };
      this.#statsWaiters.set(id, { want: live.length, got: [], resolve: finish });
      if (live.length === 0) finish();
      for (const w of live) send(w, { type: 'modelwatch:stats-request', id, resetEventLoop: opts.resetEventLoop ?? false, settle: opts.settle ?? false });
    });
  }

  kill(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    // No worker will listen now; a caller awaiting listening() must not wait forever (no-op once settled).
    this.#listening.reject(this.#failure ?? new ModelwatchError('Stopped', 'the cluster was stopped before a worker listened'));
    for (const slot of this.#slots) {
      slot.restartTimer?.cancel();
      slot.restartTimer = undefined;
      slot.worker?.process.kill('SIGTERM');
    }
    this.#killTimer = this.#config.clock.setTimeout(() => {
      for (const slot of this.#slots) slot.worker?.process.kill('SIGKILL');
    }, this.#config.stopTimeoutMs ?? 30_000);
    this.#settleIfDone();
  }

  wait(): Promise<void> {
    return this.#done.promise;
  }

  report(): Record<string, unknown> {
    return {
      workers: this.#slots.map((s) => ({ index: s.index, pid: s.worker?.process.pid, running: s.worker !== undefined, restarts: s.restarts })),
      ringsRelayed: this.#relayed, stopping: this.#stopping,
    };
  }

  #workerRegistries(): Promise<RegistryMetrics[]> {
    const waiting = new Map(this.#slots.flatMap((s) => (s.listened && s.worker?.isConnected() === true ? [[s.worker, s.index] as const] : [])));
    if (waiting.size === 0) return Promise.resolve([]);
    const id = this.#nextRegistryId++;
    const asked = [...waiting.keys()];
    return new Promise((resolve, reject) => {
      const got: RegistryMetrics[] = [];
      const settle = (err?: Error): void => {
        timer.cancel();
        this.#registryWaiters.delete(id);
        if (err === undefined) resolve(got);
        else reject(err);
      };
      const timer = this.#config.clock.setTimeout(() => {
        settle(new ModelwatchError('TryAgain', `cluster metrics: worker ${[...waiting.values()].join(', ')} did not answer in time`));
      }, this.#config.metricsTimeoutMs ?? 3000);
      this.#registryWaiters.set(id, { waiting, got, settle });
      for (const w of asked) send(w, { type: 'modelwatch:registry-request', id });
    });
  }

  #live(): ClusterWorker[] {
    return this.#slots.flatMap((s) => (s.worker !== undefined && s.worker.isConnected() ? [s.worker] : []));
  }

  #fork(slot: Slot): void {
    const worker = cluster.fork({ ...this.#config.env, MODELWATCH_WORKER_INDEX: String(slot.index) });
    slot.worker = worker;
    slot.listened = false;
    slot.startedAt = this.#config.clock.now();
    this.#metrics?.running.inc();
    worker.on('message', (m: unknown) => this.#receive(slot, worker, m));
    worker.on('exit', (code: number | null, signal: string | null) => this.#exited(slot, worker, signal === null ? `code ${String(code)}` : `signal ${signal}`));
    // Without a listener, an 'error' event throws in the primary and takes every worker down with it.
    worker.on('error', (err: Error) => {
      // A worker that never spawned (ENOENT, EAGAIN, EMFILE) emits only 'error', never 'exit'.
      if (worker.process.pid === undefined) this.#exited(slot, worker, `error ${err.message}`);
      else this.#config.logger.warn('cluster worker error', { worker: slot.index, error: err.message });
    });
  }

  #receive(slot: Slot, from: ClusterWorker, raw: unknown): void {
    const parsed = parseClusterMessage(raw);
    if (!parsed.ok) {
      if (!parsed.foreign) this.#config.logger.warn('cluster message refused', { worker: from.id, reason: parsed.reason });
      return;
    }
    const m = parsed.message;
    if (m.type === 'modelwatch:ring') {
      for (const w of this.#live()) if (w !== from) send(w, m);
      this.#relayed++;
      this.#metrics?.relayed.inc();
    } else if (m.type === 'modelwatch:listening') {
      if (slot.worker === from) slot.listened = true;
      this.#everListened = true;
      this.#listening.resolve(m.url);
    } else if (m.type === 'modelwatch:metrics-request') {
      this.metrics().then(
        (text) => send(from, { type: 'modelwatch:metrics', id: m.id, text }),
        (err: unknown) => send(from, { type: 'modelwatch:metrics', id: m.id, error: err instanceof Error ? err.message : String(err) }),
      );
    } else if (m.type === 'modelwatch:registry') {
      const r = this.#registryWaiters.get(m.id);
      if (r === undefined || !r.waiting.delete(from)) return;
      if (m.metrics === undefined) r.settle(new ModelwatchError('TryAgain', `cluster metrics: worker ${slot.index}: ${m.error ?? 'no answer'}`));
      else {
        r.got.push(m.metrics);
        if (r.waiting.size === 0) r.settle();
      }
    } else if (m.type === 'modelwatch:stats') {
      const w = this.#statsWaiters.get(m.id);
      if (w === undefined) return;
      w.got.push(m.stats);
      if (w.got.length >= w.want) w.resolve(w.got);
    }
  }

  #exited(slot: Slot, worker: ClusterWorker, how: string): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    this.#metrics?.running.dec();
    for (const r of this.#registryWaiters.values()) if (r.waiting.delete(worker) && r.waiting.size === 0) r.settle();
    if (this.#stopping) {
      this.#settleIfDone();
      return;
    }
    if (!this.#everListened) {
      this.#fail(new ModelwatchError('Internal', `worker ${slot.index} exited with ${how} before the controller listened`));
      return;
    }
    const ranMs = this.#config.clock.now() - slot.startedAt;
    slot.failures = ranMs >= 10_000 ? 1 : slot.failures + 1;
    const delay = exponentialDelayMs(slot.failures, this.#config.restartMinMs ?? 1000, 2, this.#config.restartMaxMs ?? 30_000);
    this.#config.logger.error('cluster worker died; restarting', { worker: slot.index, exit: how, ranMs, restartInMs: delay });
    slot.restartTimer = this.#config.clock.setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.#stopping) return;
      slot.restarts++;
      this.#metrics?.restarts.inc();
      this.#fork(slot);
    }, delay);
  }

  #fail(err: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = err;
    this.#config.logger.error('cluster failed', { error: err.message });
    this.#listening.reject(err);
    this.kill();
  }

  #settleIfDone(): void {
    if (!this.#stopping || this.#slots.some((s) => s.worker !== undefined)) return;
    this.#killTimer?.cancel();
    if (this.#failure !== undefined) this.#done.reject(this.#failure);
    else this.#done.resolve();
  }
}

function send(w: ClusterWorker, m: ClusterMessage): void {
  if (!w.isConnected()) return;
  try {
    // A worker that just died may still count as connected; the write then fails (EPIPE). The
    // callback takes that failure instead of an 'error' event; the worker's exit event handles it.
    w.send(m, () => undefined);
  } catch {
    // The worker is exiting; its exit event handles it.
  }
}
