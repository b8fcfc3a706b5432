// Prometheus metrics of the REST edge (`modelwatch_api_rest_*`), registered once per registry and
// shared by every handler built on it. The route label is the route's pattern (a bounded set).
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { registeredMetric } from '../../core/index.js';

/** The metric objects one registry holds. */
export interface RestMetrics {
  /** Requests answered, by route pattern and HTTP status (an SSE stream counts when it ends). */
  readonly requests: Counter<'route' | 'status'>;
  /** Time to answer a JSON request, by route (SSE streams are left out: they last as long as the client). */
  readonly latency: Histogram<'route'>;
  /** Open SSE watch streams. */
  readonly streams: Gauge;
}

const cache = new WeakMap<Registry, RestMetrics>();

/** The registry's REST metrics, created on first use. */
export function restMetricsFor(registry: Registry): RestMetrics {
  let m = cache.get(registry);
  if (m !== undefined) return m;
  const registers = [registry];
  m = {
    requests: registeredMetric(registry, 'modelwatch_api_rest_requests_total', () => new Counter({
      name: 'modelwatch_api_rest_requests_total', help: 'REST requests answered, by route and HTTP status.',
      labelNames: ['route', 'status'] as const, registers,
    })),
    latency: registeredMetric(registry, 'modelwatch_api_rest_request_duration_seconds', () => new Histogram({
      name: 'modelwatch_api_rest_request_duration_seconds', help: 'REST request latency by route (SSE excluded).',
      labelNames: ['route'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers,
    })),
    streams: registeredMetric(registry, 'modelwatch_api_rest_sse_streams', () => new Gauge({
      name: 'modelwatch_api_rest_sse_streams', help: 'Open Server-Sent Events watch streams.', registers,
    })),
  };
  cache.set(registry, m);
  return m;
}
