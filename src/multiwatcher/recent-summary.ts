// A Prometheus summary for the multiwatcher's per-change timings (spec §5.6 names the type), kept
// cheap enough for the hot path: prom-client's Summary feeds a t-digest on every observe (several µs,
// twice per change). Here an observation is two array writes into a ring of the latest WINDOW
// values; quantiles are computed on scrape from that window (the recent behaviour, which is what an
// operator looks at), while `_sum` and `_count` cover every observation since start.
import type { Metric } from 'prom-client';

const WINDOW = 4096;

/** The shape prom-client's registry reads from a metric's get(). */
interface SummarySnapshot {
  name: string;
  help: string;
  type: 'summary';
  aggregator: 'sum';
  values: Array<{ labels: Record<string, number>; value: number; metricName?: string }>;
}

/** See the file comment. Register with `registry.registerMetric(summary.metric)`. */
export class RecentSummary {
  readonly name: string;
  readonly help: string;
  readonly type = 'summary' as const;
  readonly aggregator = 'sum' as const;
  readonly #percentiles: readonly number[];
  readonly #window = new Float64Array(WINDOW);
  #next = 0;
  #filled = 0;
  #sum = 0;
  #count = 0;

  constructor(o: { name: string; help: string; percentiles: readonly number[] }) {
    this.name = o.name;
    this.help = o.help;
    this.#percentiles = o.percentiles;
  }

  /** This summary as the registry's metric contract (structural: prom-client's classes are one implementation). */
  get metric(): Metric {
    return this as unknown as Metric;
  }

  observe(value: number): void {
    this.#window[this.#next] = value;
    this.#next = (this.#next + 1) % WINDOW;
    if (this.#filled < WINDOW) this.#filled++;
    this.#sum += value;
    this.#count++;
  }

  get(): Promise<SummarySnapshot> {
    const sorted = this.#window.slice(0, this.#filled).sort();
    const at = (q: number): number => (this.#filled === 0 ? 0 : (sorted[Math.min(this.#filled - 1, Math.max(0, Math.ceil(q * this.#filled) - 1))] ?? 0));
    return Promise.resolve({
      name: this.name, help: this.help, type: 'summary', aggregator: 'sum',
      values: [
        ...this.#percentiles.map((q) => ({ labels: { quantile: q }, value: at(q) })),
        { labels: {}, value: this.#sum, metricName: `${this.name}_sum` },
        { labels: {}, value: this.#count, metricName: `${this.name}_count` },
      ],
    });
  }

  reset(): void {
    this.#next = 0;
    this.#filled = 0;
    this.#sum = 0;
    this.#count = 0;
  }
}
