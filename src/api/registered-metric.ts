// One metric object per name and registry across the API edges (RPC, REST): the one a registry
// already holds (a second controller or test on the same registry), else a new one.
import type { Registry } from 'prom-client';

/** The registry's metric named `name`, or `make()` (which registers it). */
export function registeredMetric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}
