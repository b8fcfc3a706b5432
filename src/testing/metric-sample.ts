// Reading one sample of Prometheus exposition text in tests: `series` is the text before the value,
// e.g. `x_total` or `x_ms{quantile="0.5"}`.
import type { Registry } from 'prom-client';

/** The value of `series` in exposition `text`, or undefined when it has no such line. */
export function sampleOf(text: string, series: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${series} `));
  return found === undefined ? undefined : Number(found.slice(series.length + 1));
}

/** The value of `series` in what `registry` exposes now. */
export async function registrySample(registry: Registry, series: string): Promise<number | undefined> {
  return sampleOf(await registry.metrics(), series);
}
