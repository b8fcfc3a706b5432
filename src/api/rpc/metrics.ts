// Prometheus metrics of the RPC edge (`modelwatch_api_rpc_*`), registered once per registry and
// shared by every connection using it. Labels are bounded: unknown facades/methods read "unknown".
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-metrics.js';
import type { CounterCell, HistogramCell } from './hot-metrics.js';
import { registeredMetric } from '../../core/index.js';

/** The metric objects one registry holds. */
export interface RpcMetrics {
  /** Requests answered, by facade, method and outcome (`ok`, or the wire error code, or `error`). */
  readonly requests: HotCounter<'facade' | 'method' | 'outcome'>;
  /** Time from reading a request to writing its answer (a watcher Next includes its wait). */
  readonly latency: HotHistogram<'facade' | 'method'>;
  /** Open RPC connections by kind (model, controller). */
  readonly connections: Gauge<'kind'>;
  /** Live watchers over all RPC connections, by facade. */
  readonly watchers: Gauge<'facade'>;
  /** Connections closed by the server, by reason. */
  readonly closes: Counter<'reason'>;
}

const cache = new WeakMap<Registry, RpcMetrics>();

/** What a served request records: its count by outcome, and its latency. */
export interface RequestMetrics {
  readonly latency: HistogramCell;
  outcome(outcome: string): CounterCell;
}

/** Per metric set: facade → method → cells, so a request resolves its cells with two map reads and no key built. */
const requestChildren = new WeakMap<RpcMetrics, Map<string, Map<string, RequestMetrics>>>();

/**
 * The metric cells of one facade/method, resolved once and reused (see hot-metrics.ts). Bounded
 * like the labels: known facades and methods, plus "unknown"; outcomes are wire error codes.
 */
export function requestMetricsFor(m: RpcMetrics, facade: string, method: string): RequestMetrics {
  let byFacade = requestChildren.get(m);
  if (byFacade === undefined) requestChildren.set(m, (byFacade = new Map<string, Map<string, RequestMetrics>>()));
  let byMethod = byFacade.get(facade);
  if (byMethod === undefined) byFacade.set(facade, (byMethod = new Map<string, RequestMetrics>()));
  let r = byMethod.get(method);
  if (r === undefined) byMethod.set(method, (r = newRequestMetrics(m, facade, method)));
  return r;
}

function newRequestMetrics(m: RpcMetrics, facade: string, method: string): RequestMetrics {
  const outcomes = new Map<string, CounterCell>();
  return {
    latency: m.latency.cell(facade, method),
    outcome: (outcome) => {
      let c = outcomes.get(outcome);
      if (c === undefined) outcomes.set(outcome, (c = m.requests.cell(facade, method, outcome)));
      return c;
    },
  };
}


/** The registry's RPC metrics, created on first use. */
export function rpcMetricsFor(registry: Registry): RpcMetrics {
  let m = cache.get(registry);
  if (m !== undefined) return m;
  const registers = [registry];
  m = {
    requests: registeredMetric(registry, 'modelwatch_api_rpc_requests_total', () => new HotCounter({
      name: 'modelwatch_api_rpc_requests_total', help: 'RPC requests answered, by facade, method and outcome.',
      labelNames: ['facade', 'method', 'outcome'] as const, registry,
    })),
    latency: registeredMetric(registry, 'modelwatch_api_rpc_request_duration_seconds', () => new HotHistogram({
      name: 'modelwatch_api_rpc_request_duration_seconds', help: 'RPC request latency (a watcher Next includes its wait).',
      labelNames: ['facade', 'method'] as const, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30], registry,
    })),
    connections: registeredMetric(registry, 'modelwatch_api_rpc_connections', () => new Gauge({
      name: 'modelwatch_api_rpc_connections', help: 'Open WebSocket RPC connections.', labelNames: ['kind'] as const, registers,
    })),
    watchers: registeredMetric(registry, 'modelwatch_api_rpc_watchers', () => new Gauge({
      name: 'modelwatch_api_rpc_watchers', help: 'Live watchers of WebSocket RPC connections.', labelNames: ['facade'] as const, registers,
    })),
    closes: registeredMetric(registry, 'modelwatch_api_rpc_server_closes_total', () => new Counter({
      name: 'modelwatch_api_rpc_server_closes_total', help: 'Connections closed by the server, by reason.',
      labelNames: ['reason'] as const, registers,
    })),
  };
  cache.set(registry, m);
  return m;
}
