// Prometheus metric objects shared across the components of one process: a registry holds one
// metric per name, so a second component (another controller, sender or test on the same registry)
// must reuse the one registered instead of creating a clash.
import type { Registry } from 'prom-client';

/** The registry's metric named `name`, or `make()` (which registers it). */
export function registeredMetric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** True for a prom-client Registry (or anything with its lookup and registration methods). */
export function isRegistry(value: unknown): value is Registry {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return typeof r.getSingleMetric === 'function' && typeof r.registerMetric === 'function';
}
