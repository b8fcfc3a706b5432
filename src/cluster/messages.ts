// The messages between the primary and its workers (`serve --workers`), over Node's cluster IPC. Every
// message is checked on receipt: one that is not ours (prom-client's own) is ignored, one of ours
// that is malformed is refused with a reason and changes nothing.
import type { PeerRing } from '../state/index.js';

/** What a worker reports of itself (WorkerStats.eventLoopDelayMs covers the time since the last reset). */
export interface WorkerStats {
  index: number;
  pid: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU time since the process started, user + system, µs. */
  cpuUs: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

/** A worker's registry as prom-client's getMetricsAsJSON() gives it, for AggregatorRegistry.aggregate(). */
export type RegistryMetrics = ReadonlyArray<{ name: string; help: string; type: unknown; aggregator: string; values: readonly unknown[] }>;

export type ClusterMessage =
  /** worker → primary → every other worker: a commit's exact rows, or a presence ring. */
  | { type: 'modelwatch:ring'; ring: PeerRing }
  /** worker → primary: the API server listens at `url`. */
  | { type: 'modelwatch:listening'; url: string }
  /** worker → primary: the cluster's metrics, please; primary → worker: here they are (or why not). */
  | { type: 'modelwatch:metrics-request'; id: number }
  | { type: 'modelwatch:metrics'; id: number; text?: string; error?: string }
  /**
   * primary → worker: your registry, please (for a cluster /metrics; asked only of workers that
   * listen); worker → primary: here (prom-client's getMetricsAsJSON), or why not.
   */
  | { type: 'modelwatch:registry-request'; id: number }
  | { type: 'modelwatch:registry'; id: number; metrics?: RegistryMetrics; error?: string }
  /** primary → worker: your stats (after a settling GC when `settle`); worker → primary: here. */
  | { type: 'modelwatch:stats-request'; id: number; resetEventLoop: boolean; settle: boolean }
  | { type: 'modelwatch:stats'; id: number; stats: WorkerStats };

const PREFIX = 'modelwatch:';

/** Outcome of reading an IPC message: ours and valid, not ours, or ours and refused. */
export type ParsedMessage = { ok: true; message: ClusterMessage } | { ok: false; foreign: boolean; reason: string };

/** Checks an IPC message. */
export function parseClusterMessage(value: unknown): ParsedMessage {
  const m = value as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object' || typeof m.type !== 'string' || !m.type.startsWith(PREFIX)) {
    return { ok: false, foreign: true, reason: 'not a modelwatch message' };
  }
  const bad = (reason: string): ParsedMessage => ({ ok: false, foreign: false, reason: `${m.type as string}: ${reason}` });
  const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  switch (m.type) {
    case 'modelwatch:ring':
      return isPeerRing(m.ring) ? { ok: true, message: m as ClusterMessage } : bad('ring not valid');
    case 'modelwatch:listening':
      return typeof m.url === 'string' && /^(http|https):\/\//.test(m.url) ? { ok: true, message: m as ClusterMessage } : bad('url not valid');
    case 'modelwatch:metrics-request':
      return isId(m.id) ? { ok: true, message: m as ClusterMessage } : bad('id not valid');
    case 'modelwatch:metrics':
      return isId(m.id) && (typeof m.text === 'string' ? m.error === undefined : m.text === undefined && typeof m.error === 'string')
        ? { ok: true, message: m as ClusterMessage } : bad('needs an id and text or error');
    case 'modelwatch:registry-request':
      return isId(m.id) ? { ok: true, message: m as ClusterMessage } : bad('id not valid');
    case 'modelwatch:registry':
      return isId(m.id) && (isRegistryMetrics(m.metrics) ? m.error === undefined : m.metrics === undefined && typeof m.error === 'string')
        ? { ok: true, message: m as ClusterMessage } : bad('needs an id and metrics or error');
    case 'modelwatch:stats-request':
      return isId(m.id) && typeof m.resetEventLoop === 'boolean' && typeof m.settle === 'boolean' ? { ok: true, message: m as ClusterMessage } : bad('fields not valid');
    case 'modelwatch:stats':
      return isId(m.id) && isStats(m.stats) ? { ok: true, message: m as ClusterMessage } : bad('stats not valid');
    default:
      return bad('unknown type');
  }
}

function isPeerRing(v: unknown): v is PeerRing {
  const r = v as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object') return false;
  if (r.kind === 'presence') return typeof r.modelUUID === 'string' && r.modelUUID !== '';
  if (r.kind !== 'state' || !Number.isSafeInteger(r.rev) || (r.rev as number) < 1 || !Array.isArray(r.changes) || r.changes.length === 0) return false;
  return r.changes.every((c: unknown) => {
    const x = c as Record<string, unknown> | null;
    return x !== null && typeof x === 'object' && x.rev === r.rev && typeof x.kind === 'string' && typeof x.modelUUID === 'string'
      && typeof x.id === 'string' && typeof x.removed === 'boolean' && typeof x.at === 'number';
  });
}

function isRegistryMetrics(v: unknown): v is RegistryMetrics {
  return Array.isArray(v) && v.every((x: unknown) => {
    const m = x as Record<string, unknown> | null;
    return m !== null && typeof m === 'object' && typeof m.name === 'string' && typeof m.help === 'string' && typeof m.type === 'string'
      && typeof m.aggregator === 'string' && Array.isArray(m.values);
  });
}

function isStats(v: unknown): v is WorkerStats {
  const s = v as Record<string, unknown> | null;
  if (s === null || typeof s !== 'object') return false;
  const e = s.eventLoopDelayMs as Record<string, unknown> | null;
  const num = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
  return ['index', 'pid', 'rssBytes', 'heapUsedBytes', 'cpuUs'].every((k) => num(s[k]))
    && e !== null && typeof e === 'object' && num(e.p50) && num(e.p99) && num(e.max);
}
