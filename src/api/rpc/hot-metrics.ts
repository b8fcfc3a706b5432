// Metrics for the per-request hot path, kept in plain numbers and exposed to a prom-client Registry
// through the registry's metric contract (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`).
// prom-client's own Counter/Histogram hash a label object on every inc/observe, even through a
// labelled child (a few µs each, on every one of tens of thousands of Next calls a second); here a
// label set is resolved once to a cell and an update is an array increment.
import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string>;

/** One sample as the registry formats it (`metricName` for a histogram's series). */
export interface SampleValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What `get()` answers: the shape prom-client's registry reads. */
export interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: SampleValue[];
}

interface MetricLike {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<MetricSnapshot>;
  reset(): void;
}

function register(registry: Registry, metric: MetricLike): void {
  // The registry's contract is structural; prom-client's own classes are one implementation of it.
  registry.registerMetric(metric as unknown as Metric);
}

function labelsOf(names: readonly string[], values: readonly string[]): Labels {
  const labels: Labels = {};
  names.forEach((n, i) => (labels[n] = values[i] ?? ''));
  return labels;
}

/** One counter cell: `inc()` adds one. */
export interface CounterCell {
  inc(): void;
}

/** A counter whose label sets are resolved once (`cell(...)`) and then incremented in place. */
export class HotCounter<T extends string> implements MetricLike {
  readonly name: string;
  readonly help: string;
  readonly type = 'counter' as const;
  readonly aggregator = 'sum' as const;
  readonly #labelNames: readonly T[];
  readonly #cells = new Map<string, { labels: Labels; value: number }>();

  constructor(o: { name: string; help: string; labelNames: readonly T[]; registry: Registry }) {
    this.name = o.name;
    this.help = o.help;
    this.#labelNames = o.labelNames;
    register(o.registry, this);
  }

  /** The cell of these label values, in labelNames order (created at 0 on first use). */
  cell(...values: string[]): CounterCell {
    const key = values.join('\u0000');
    let c = this.#cells.get(key);
    if (c === undefined) this.#cells.set(key, (c = { labels: labelsOf(this.#labelNames, values), value: 0 }));
    const cell = c;
    return { inc: () => void (cell.value += 1) };
  }

  get(): Promise<MetricSnapshot> {
    const values = [...this.#cells.values()].map((c) => ({ labels: { ...c.labels }, value: c.value }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    for (const c of this.#cells.values()) c.value = 0;
  }
}

/** One histogram cell: `observe(v)` counts v in its bucket. */
export interface HistogramCell {
  observe(value: number): void;
}

interface HistogramState {
  labels: Labels;
  /** Non-cumulative counts per bucket; the last is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

/** A histogram whose label sets are resolved once (`cell(...)`); buckets as prom-client's (`le`). */
export class HotHistogram<T extends string> implements MetricLike {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #labelNames: readonly T[];
  readonly #bounds: readonly number[];
  readonly #cells = new Map<string, HistogramState>();

  constructor(o: { name: string; help: string; labelNames: readonly T[]; buckets: readonly number[]; registry: Registry }) {
    this.name = o.name;
    this.help = o.help;
    this.#labelNames = o.labelNames;
    this.#bounds = [...o.buckets].sort((a, b) => a - b);
    register(o.registry, this);
  }

  /** The cell of these label values, in labelNames order. */
  cell(...values: string[]): HistogramCell {
    const key = values.join('\u0000');
    let c = this.#cells.get(key);
    if (c === undefined) {
      c = { labels: labelsOf(this.#labelNames, values), counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.#cells.set(key, c);
    }
    const state = c;
    const bounds = this.#bounds;
    return {
      observe: (value: number): void => {
        if (!Number.isFinite(value)) return;
        let i = 0;
        while (i < bounds.length && value > (bounds[i] as number)) i++;
        state.counts[i] = (state.counts[i] ?? 0) + 1;
        state.sum += value;
        state.count += 1;
      },
    };
  }

  get(): Promise<MetricSnapshot> {
    const values: SampleValue[] = [];
    for (const c of this.#cells.values()) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += c.counts[i] ?? 0;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...c.labels, le }, value: cumulative });
      });
      cumulative += c.counts[this.#bounds.length] ?? 0;
      values.push({ metricName: `${this.name}_bucket`, labels: { ...c.labels, le: '+Inf' }, value: cumulative });
      values.push({ metricName: `${this.name}_sum`, labels: { ...c.labels }, value: c.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...c.labels }, value: c.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void {
    for (const c of this.#cells.values()) {
      c.counts.fill(0);
      c.sum = 0;
      c.count = 0;
    }
  }
}
