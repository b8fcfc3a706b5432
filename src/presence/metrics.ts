// Prometheus metrics of presence (`modelwatch_presence_*`). Components of one process share one
// registry: a metric already registered under its name is reused, so several batchers, watchers
// and pruners can report into the same registry. Without a registry the metrics are kept unregistered.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

/** The presence metrics of one registry. */
export class PresenceMetrics {
  readonly pingsReceived: Counter;
  readonly flushes: Counter<'result'>;
  readonly flushRows: Histogram;
  readonly flushSeconds: Histogram;
  readonly pendingRows: Gauge;
  readonly reads: Counter;
  readonly beingLoads: Counter;
  readonly keysAlive: Gauge<'model_uuid'>;
  readonly transitions: Counter<'to'>;
  readonly pruneRuns: Counter<'result'>;

  constructor(registry?: Registry) {
    const registers = registry === undefined ? [] : [registry];
    const reuse = <T>(name: string, kind: abstract new (...args: never[]) => T, make: () => T): T => {
      const existing = registry?.getSingleMetric(name);
      return existing instanceof kind ? existing : make();
    };
    this.pingsReceived = reuse('modelwatch_presence_pings_received_total', Counter, () =>
      new Counter({ name: 'modelwatch_presence_pings_received_total', help: 'Pings merged by ping batchers.', registers }));
    this.flushes = reuse('modelwatch_presence_flushes_total', Counter, () =>
      new Counter({ name: 'modelwatch_presence_flushes_total', help: 'Batcher flushes by result (ok, error, empty).', labelNames: ['result'], registers }));
    this.flushRows = reuse('modelwatch_presence_flush_rows', Histogram, () =>
      new Histogram({ name: 'modelwatch_presence_flush_rows', help: 'Rows written per batcher flush.', buckets: [1, 10, 100, 1_000, 10_000, 100_000], registers }));
    this.flushSeconds = reuse('modelwatch_presence_flush_seconds', Histogram, () =>
      new Histogram({ name: 'modelwatch_presence_flush_seconds', help: 'Latency of a batcher flush write (injected clock).', buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10], registers }));
    this.pendingRows = reuse('modelwatch_presence_pending_rows', Gauge, () =>
      new Gauge({ name: 'modelwatch_presence_pending_rows', help: 'Rows waiting in ping batchers for the next flush.', registers }));
    this.reads = reuse('modelwatch_presence_reads_total', Counter, () =>
      new Counter({ name: 'modelwatch_presence_reads_total', help: 'Window reads by presence watchers.', registers }));
    this.beingLoads = reuse('modelwatch_presence_being_loads_total', Counter, () =>
      new Counter({ name: 'modelwatch_presence_being_loads_total', help: 'Sequence-to-key records fetched by watchers.', registers }));
    this.keysAlive = reuse('modelwatch_presence_keys_alive', Gauge, () =>
      new Gauge({ name: 'modelwatch_presence_keys_alive', help: 'Keys alive at the last read, per watched model.', labelNames: ['model_uuid'], registers }));
    this.transitions = reuse('modelwatch_presence_transitions_total', Counter, () =>
      new Counter({ name: 'modelwatch_presence_transitions_total', help: 'Alive/dead transitions seen by watchers.', labelNames: ['to'], registers }));
    this.pruneRuns = reuse('modelwatch_presence_prune_runs_total', Counter, () =>
      new Counter({ name: 'modelwatch_presence_prune_runs_total', help: 'Prune runs by result (ok, error).', labelNames: ['result'], registers }));
  }
}
