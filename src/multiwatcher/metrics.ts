// Prometheus metrics of the worker (spec §5.6): names, types and help texts are exact. Gauges read
// report() on each scrape; summaries are in milliseconds, with quantiles over the latest 4,096
// observations (recent-summary.ts).
import { Counter, Gauge } from 'prom-client';
import type { Metric, Registry } from 'prom-client';
import { RecentSummary } from './recent-summary.js';

const PERCENTILES = [0.5, 0.9, 0.99];

/** The worker's metrics; registered in a registry when one is given, unregistered on stop. */
export class MultiwatcherMetrics {
  readonly #registry: Registry | undefined;
  readonly #all: Array<readonly [name: string, metric: Metric]>;
  readonly #registered: string[] = [];
  readonly #append: RecentSummary;
  readonly #dupe: Counter;
  readonly #process: RecentSummary;

  constructor(registry: Registry | undefined, report: () => Record<string, unknown>) {
    this.#registry = registry;
    const gauge = (name: string, help: string, key: string): readonly [string, Gauge] => [
      name,
      new Gauge({
        name,
        help,
        registers: [],
        collect() {
          const v = report()[key];
          this.set(typeof v === 'number' ? v : 0);
        },
      }),
    ];
    this.#append = new RecentSummary({ name: 'modelwatch_multiwatcher_append', help: 'Time to append a queue entry in ms.', percentiles: PERCENTILES });
    this.#dupe = new Counter({ name: 'modelwatch_multiwatcher_dupe', help: 'Count of duplicate watcher notifications already in queue.', registers: [] });
    this.#process = new RecentSummary({ name: 'modelwatch_multiwatcher_process', help: 'Time to process a queue entry in ms.', percentiles: PERCENTILES });
    this.#all = [
      gauge('modelwatch_multiwatcher_watcher_count', 'The number of multiwatcher type watchers there are.', 'num-watchers'),
      gauge('modelwatch_multiwatcher_restart_count', 'The number of times the all watcher has been restarted.', 'restart-count'),
      gauge('modelwatch_multiwatcher_store_size', 'The number of entities in the store.', 'store-size'),
      gauge('modelwatch_multiwatcher_queue_size', 'The number of entries in the queue to process.', 'queue-size'),
      gauge('modelwatch_multiwatcher_queue_age', 'The age in seconds of the oldest queue entry.', 'queue-age'),
      ['modelwatch_multiwatcher_append', this.#append.metric],
      ['modelwatch_multiwatcher_dupe', this.#dupe],
      ['modelwatch_multiwatcher_process', this.#process.metric],
    ];
  }

  /** Registers every metric; throws (after undoing what it did) when a name is already taken. */
  register(): void {
    const registry = this.#registry;
    if (registry === undefined) return;
    try {
      for (const [name, metric] of this.#all) {
        registry.registerMetric(metric);
        this.#registered.push(name);
      }
    } catch (err) {
      this.unregister();
      throw err;
    }
  }

  /** Removes the metrics this instance registered. */
  unregister(): void {
    const registry = this.#registry;
    for (const name of this.#registered.splice(0)) registry?.removeSingleMetric(name);
  }

  appended(ms: number): void {
    this.#append.observe(ms);
  }

  duplicated(): void {
    this.#dupe.inc();
  }

  processed(ms: number): void {
    this.#process.observe(ms);
  }
}
