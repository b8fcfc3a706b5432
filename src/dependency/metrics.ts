// Prometheus metrics of the dependency engine: manifolds by state, starts per manifold.
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

const STATES = ['stopped', 'starting', 'started', 'stopping'] as const;

/** Registers the engine's metrics in `registry`; unregister() removes them. */
export class EngineMetrics {
  readonly #registry: Registry;
  readonly #starts: Counter<'manifold'>;

  constructor(registry: Registry, states: () => readonly string[]) {
    this.#registry = registry;
    this.#starts = new Counter({
      name: 'modelwatch_dependency_starts_total',
      help: 'Start attempts per manifold.',
      labelNames: ['manifold'],
      registers: [registry],
    });
    const gauge: Gauge<'state'> = new Gauge({
      name: 'modelwatch_dependency_manifolds',
      help: 'Manifolds of the dependency engine by state.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const counts = new Map<string, number>(STATES.map((s) => [s, 0]));
        for (const s of states()) counts.set(s, (counts.get(s) ?? 0) + 1);
        for (const [state, n] of counts) gauge.set({ state }, n);
      },
    });
  }

  started(manifold: string): void {
    this.#starts.inc({ manifold });
  }

  unregister(): void {
    this.#registry.removeSingleMetric('modelwatch_dependency_starts_total');
    this.#registry.removeSingleMetric('modelwatch_dependency_manifolds');
  }
}
