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

/**
 * What both hot metrics share: name, help, and the map from label values to the state of one cell
 * (created by `make` on first use). A subclass registers itself once its own fields are set.
 */
abstract class HotMetric<T extends string, S extends { labels: Labels }> implements MetricLike {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum' as const;
  protected readonly cells = new Map<string, S>();
  readonly #labelNames: readonly T[];

  constructor(o: { name: string; help: string; labelNames: readonly T[] }) {
    this.name = o.name;
    this.help = o.help;
    this.#labelNames = o.labelNames;
  }

  /** The state of these label values, in labelNames order. */
  protected stateOf(values: readonly string[], make: (labels: Labels) => S): S {
    const key = values.join('\u0000');
    let c = this.cells.get(key);
    if (c === undefined) this.cells.set(key, (c = make(labelsOf(this.#labelNames, values))));
    return c;
  }

  protected snapshot(values: SampleValue[]): Promise<MetricSnapshot> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  abstract get(): Promise<MetricSnapshot>;
  abstract reset(): void;
}

/** One counter cell: `inc()` adds one. */
export interface CounterCell {
  inc(): void;
}

/** A counter whose label sets are resolved once (`cell(...)`) and then incremented in place. */
export class HotCounter<T extends string> extends HotMetric<T, { labels: Labels; value: number }> {
  readonly type = 'counter' as const;

  constructor(o: { name: string; help: string; labelNames: readonly T[]; registry: Registry }) {
    super(o);
    register(o.registry, this);
  }

  /** The cell of these label values, in labelNames order (created at 0 on first use). */
  cell(...values: string[]): CounterCell {
    const cell = this.stateOf(values, (labels) => ({ labels, value: 0 }));
    return { inc: () => void (cell.value += 1) };
  }

  get(): Promise<MetricSnapshot> {
    return this.snapshot([...this.cells.values()].map((c) => ({ labels: { ...c.labels }, value: c.value })));
  }

  reset(): void {
    for (const c of this.cells.values()) c.value = 0;
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
export class HotHistogram<T extends string> extends HotMetric<T, HistogramState> {
  readonly type = 'histogram' as const;
  readonly #bounds: readonly number[];

  constructor(o: { name: string; help: string; labelNames: readonly T[]; buckets: readonly number[]; registry: Registry }) {
    super(o);
    this.#bounds = [...o.buckets].sort((a, b) => a - b);
    register(o.registry, this);
  }

  /** The cell of these label values, in labelNames order. */
  cell(...values: string[]): HistogramCell {
    const bounds = this.#bounds;
    const state = this.stateOf(values, (labels) => ({ labels, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 }));
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
    for (const c of this.cells.values()) {
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
    return this.snapshot(values);
  }

  reset(): void {
    for (const c of this.cells.values()) {
      c.counts.fill(0);
      c.sum = 0;
      c.count = 0;
    }
  }
}
