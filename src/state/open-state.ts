// openState: parses the URL, validates the options, opens (and migrates) the backend and wraps it in
// the backend-neutral store.
import type { Clock, Logger } from '../core/index.js';
import { ModelwatchError, SystemClock, nullLogger } from '../core/index.js';
import type { StateDriver } from './driver.js';
import { DEFAULT_LIMITS, MAX_RETENTION_MS, MAX_TIMER_MS } from './limits.js';
import type { StateLimits } from './limits.js';
import { StateMetrics } from './metrics.js';
import { PostgresDriver } from './postgres/pg-driver.js';
import { SqliteDriver } from './sqlite/sqlite-driver.js';
import { StateStore } from './state-store.js';
import { isSqlitePeers } from './peers.js';
import type { SqlitePeers } from './peers.js';
import type { OpenStateOptions, State } from './state.js';

/** Options of openState plus limits, which tests and benchmarks shrink. */
export interface OpenStateInternalOptions extends OpenStateOptions {
  /** Extension: overrides of the store's limits (limits.ts); retention overrides these. */
  limits?: Partial<StateLimits>;
  /**
   * Extension, SQLite files only: the other processes writing the same file (`serve --workers`), so
   * their commits and presence rings arrive at once instead of on the next poll. PostgreSQL processes
   * hear each other through NOTIFY, so it is refused there, as it is for `sqlite::memory:`.
   */
  peers?: SqlitePeers;
}

/** Where a URL points. */
export type StateLocation = { backend: 'sqlite'; path: string } | { backend: 'postgres'; url: string };

/**
 * Parses `sqlite:<path>`, `sqlite::memory:`, `postgres://…` or `postgresql://…`.
 * @throws ModelwatchError NotValid for anything else (the message never repeats credentials).
 */
export function parseStateUrl(url: unknown): StateLocation {
  if (typeof url !== 'string' || url === '') throw new ModelwatchError('NotValid', 'url not valid: must be a non-empty string');
  if (url === 'sqlite::memory:') return { backend: 'sqlite', path: ':memory:' };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new ModelwatchError('NotValid', 'url not valid: sqlite: needs a path (or :memory:)');
    return { backend: 'sqlite', path };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { backend: 'postgres', url };
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url)?.[0] ?? '(none)';
  throw new ModelwatchError('NotValid', `url scheme ${scheme} not valid: use sqlite:<path>, sqlite::memory: or postgres://`);
}

/**
 * Opens the state store at `url`, applying pending schema migrations.
 * @throws ModelwatchError NotValid for a bad URL or options, or a database newer than this code.
 */
export async function openState(url: string, opts: OpenStateInternalOptions = {}): Promise<State> {
  const location = parseStateUrl(url);
  const clock: Clock = opts.clock ?? new SystemClock();
  const logger: Logger = opts.logger ?? nullLogger;
  checkClock(clock);
  checkLogger(logger);
  const limits = resolveLimits(opts);
  const peers = checkPeers(opts.peers, location);
  const metrics = new StateMetrics(opts.registry);
  let driver: StateDriver;
  try {
    driver =
      location.backend === 'sqlite'
        ? new SqliteDriver({ path: location.path, logger, limits, ...(peers === undefined ? {} : { peers }) })
        : await PostgresDriver.open({ url: location.url, clock, logger, limits, onReconnect: () => metrics.reconnects.inc() });
  } catch (err) {
    metrics.unregister(opts.registry);
    throw err;
  }
  return new StateStore({ driver, clock, logger, limits, registry: opts.registry, metrics });
}

function resolveLimits(opts: OpenStateInternalOptions): StateLimits {
  const limits: StateLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const r: unknown = opts.retention;
  if (r !== undefined) {
    if (r === null || typeof r !== 'object') throw new ModelwatchError('NotValid', 'retention not valid: must be an object');
    const { ms, revisions } = r as { ms?: unknown; revisions?: unknown };
    if (ms !== undefined) limits.retentionMs = ms as number;
    if (revisions !== undefined) limits.retentionRevisions = revisions as number;
  }
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      const field = key === 'retentionMs' ? 'retention.ms' : key === 'retentionRevisions' ? 'retention.revisions' : `limits.${key}`;
      throw new ModelwatchError('NotValid', `${field} ${String(value)} not valid: must be a non-negative finite number`);
    }
  }
  if (limits.retentionMs > MAX_RETENTION_MS) {
    throw new ModelwatchError('NotValid', `retention.ms ${limits.retentionMs} not valid: at most ${MAX_RETENTION_MS} (about 100 years)`);
  }
  // These feed timers: above 2^31 − 1 ms Node.js fires them at once.
  for (const key of ['compactIntervalMs', 'pollIntervalMs', 'retryMinMs', 'retryMaxMs', 'notifyCoalesceMs', 'sqliteBusyTimeoutMs'] as const) {
    if (limits[key] > MAX_TIMER_MS) throw new ModelwatchError('NotValid', `limits.${key} ${limits[key]} not valid: at most ${MAX_TIMER_MS} ms`);
  }
  if (!Number.isSafeInteger(limits.retentionRevisions)) {
    throw new ModelwatchError('NotValid', `retention.revisions ${limits.retentionRevisions} not valid: must be an integer`);
  }
  // Counts that take at least one: a batch of 0 plans would take nothing from the write queue, forever.
  for (const key of ['changesBatchRows', 'pgPoolSize', 'pgBatchPlans'] as const) {
    if (limits[key] < 1) throw new ModelwatchError('NotValid', `limits.${key} not valid: must be at least 1, not ${limits[key]}`);
  }
  return limits;
}

function checkPeers(peers: unknown, location: StateLocation): SqlitePeers | undefined {
  if (peers === undefined) return undefined;
  if (!isSqlitePeers(peers)) throw new ModelwatchError('NotValid', 'peers not valid: must have publish() and subscribe()');
  if (location.backend !== 'sqlite' || location.path === ':memory:') {
    throw new ModelwatchError('NotValid', 'peers not valid: only for a SQLite file (PostgreSQL has NOTIFY; :memory: is one process)');
  }
  return peers;
}

function checkClock(clock: unknown): void {
  const c = clock as Partial<Clock> | null;
  if (c === null || typeof c !== 'object' || typeof c.now !== 'function' || typeof c.setTimeout !== 'function') {
    throw new ModelwatchError('NotValid', 'clock not valid: must have now() and setTimeout()');
  }
}

function checkLogger(logger: unknown): void {
  const l = logger as Partial<Logger> | null;
  if (l === null || typeof l !== 'object' || !(['debug', 'info', 'warn', 'error'] as const).every((m) => typeof l[m] === 'function')) {
    throw new ModelwatchError('NotValid', 'logger not valid: must have debug/info/warn/error');
  }
}
