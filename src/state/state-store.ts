// The backend-neutral State: validates input, plans each transaction, delegates the writing to a
// driver, schedules compaction, counts metrics and hands out backings. One behaviour on both backends.
import type { AllWatcherBacking, Clock, EntityId, EntityInfo, Logger, Reporter } from '../core/index.js';
import { ModelwatchError, validateEntityId, validateKind, validateModelUUID } from '../core/index.js';
import type { Registry } from 'prom-client';
import type { PresenceStore } from '../presence/index.js';
import { StateBacking } from './backing/state-backing.js';
import { Compactor } from './compactor.js';
import type { StateDriver, StoredChange } from './driver.js';
import type { StateLimits } from './limits.js';
import { StateMetrics } from './metrics.js';
import { isEmptyPlan, planOps } from './plan.js';
import type { ChangeRecord, ListPage, ListPageQuery, State, StateOp } from './state.js';
import { checkPageQuery } from './page-query.js';
import type { UserStore } from './users/index.js';

export interface StateStoreConfig {
  driver: StateDriver;
  clock: Clock;
  logger: Logger;
  limits: StateLimits;
  registry: Registry | undefined;
  metrics: StateMetrics;
}

export class StateStore implements State, Reporter {
  readonly backend: 'sqlite' | 'postgres';
  readonly #config: StateStoreConfig;
  readonly #driver: StateDriver;
  readonly #compactor: Compactor;
  readonly #backings = new Set<StateBacking>();
  #lastRev = 0;
  #closed: Promise<void> | undefined;

  constructor(config: StateStoreConfig) {
    this.#config = config;
    this.#driver = config.driver;
    this.backend = config.driver.backend;
    const { limits } = config;
    this.#compactor = new Compactor({
      driver: config.driver,
      clock: config.clock,
      logger: config.logger,
      retentionMs: limits.retentionMs,
      retentionRevisions: limits.retentionRevisions,
      intervalMs: limits.compactIntervalMs,
      batchRevisions: limits.compactBatchRevisions,
      onFloor: (floor) => config.metrics.compactedRevision.set(floor),
    });
  }

  async apply(ops: StateOp[]): Promise<number> {
    this.#checkOpen();
    const plan = planOps(ops);
    if (isEmptyPlan(plan)) return this.revision();
    const started = this.#config.clock.now();
    const result = await this.#driver.write(plan, started);
    if (result.changes.length > 0) {
      const m = this.#config.metrics;
      m.commits.inc();
      m.changes.inc(result.changes.length);
      m.commitSeconds.observe(Math.max(0, this.#config.clock.now() - started) / 1000);
    }
    this.#lastRev = Math.max(this.#lastRev, result.rev);
    return result.rev;
  }

  update(entity: EntityInfo): Promise<number> {
    return this.apply([{ op: 'update', entity }]);
  }

  remove(id: EntityId): Promise<number> {
    return this.apply([{ op: 'remove', id }]);
  }

  async get(id: EntityId): Promise<EntityInfo | undefined> {
    this.#checkOpen();
    validateEntityId(id, 'id');
    return this.#driver.get(id);
  }

  async list(filter: { modelUUID?: string; kind?: string } = {}): Promise<EntityInfo[]> {
    this.#checkOpen();
    const f: unknown = filter;
    if (f === null || typeof f !== 'object') throw new ModelwatchError('NotValid', 'filter not valid: must be an object');
    if (filter.modelUUID !== undefined) validateModelUUID(filter.modelUUID, 'filter.modelUUID');
    if (filter.kind !== undefined) validateKind(filter.kind, 'filter.kind');
    return this.#driver.list(filter);
  }

  async listPage(query: ListPageQuery): Promise<ListPage> {
    this.#checkOpen();
    const q = checkPageQuery(query);
    // One row past the page says whether more follow.
    const rows = await this.#driver.listPage({ ...q, limit: q.limit + 1 });
    const more = rows.length > q.limit;
    if (more) rows.length = q.limit;
    return { entities: rows, more };
  }

  async revision(): Promise<number> {
    this.#checkOpen();
    const rev = await this.#driver.revision();
    this.#lastRev = Math.max(this.#lastRev, rev);
    return rev;
  }

  async changesSince(rev: number, limit?: number): Promise<ChangeRecord[]> {
    this.#checkOpen();
    checkRevision(rev, 'rev');
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw new ModelwatchError('NotValid', `limit ${String(limit)} not valid: must be a positive integer`);
    }
    const { rows } = await this.#readChanges(rev, limit ?? this.#config.limits.changesBatchRows);
    return rows.map(({ rev: r, kind, modelUUID, id, removed }) => ({ rev: r, kind, modelUUID, id, removed }));
  }

  users(): UserStore {
    this.#checkOpen();
    return this.#driver.userStore();
  }

  allWatcherBacking(): AllWatcherBacking {
    this.#checkOpen();
    const { limits } = this.#config;
    const backing = new StateBacking({
      source: {
        readChangesAfter: (rev) => this.#readChanges(rev, limits.changesBatchRows),
        snapshot: () => this.#driver.snapshot(),
        get: (id) => this.#driver.get(id),
        subscribe: (onRing) => this.#driver.subscribe(onRing),
      },
      clock: this.#config.clock,
      logger: this.#config.logger,
      metrics: this.#config.metrics,
      pollIntervalMs: limits.pollIntervalMs,
      retryMinMs: limits.retryMinMs,
      retryMaxMs: limits.retryMaxMs,
      onRelease: (b) => this.#backings.delete(b),
    });
    this.#backings.add(backing);
    return backing;
  }

  presenceStore(): PresenceStore {
    this.#checkOpen();
    return this.#driver.presenceStore();
  }

  report(): Record<string, unknown> {
    return {
      backend: this.backend,
      'last-revision': this.#lastRev,
      ...this.#compactor.report(),
      driver: this.#driver.report(),
      backings: [...this.#backings].map((b) => b.report()),
    };
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const b of [...this.#backings]) await b.release();
      await this.#compactor.stop();
      await this.#driver.close();
      this.#config.metrics.unregister(this.#config.registry);
    })();
    return this.#closed;
  }

  /** Rows after `rev` ending on a revision boundary; a single revision larger than `limit` is whole. */
  async #readChanges(rev: number, limit: number): Promise<{ rows: StoredChange[]; more: boolean }> {
    const { rows, floor } = await this.#driver.readChanges(rev, limit + 1);
    if (rev < floor) {
      throw new ModelwatchError(
        'ResyncRequired',
        `changes after revision ${rev} were compacted (history starts after revision ${floor}): resync required`,
      );
    }
    if (rows.length <= limit) return { rows, more: false };
    const cutRev = (rows[limit] as StoredChange).rev;
    const whole = rows.filter((r) => r.rev < cutRev);
    if (whole.length > 0) return { rows: whole, more: true };
    return { rows: await this.#driver.readRevision(cutRev), more: true };
  }

  #checkOpen(): void {
    if (this.#closed !== undefined) throw new ModelwatchError('Stopped', 'state is closed');
  }
}

function checkRevision(rev: unknown, field: string): asserts rev is number {
  if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 0) {
    throw new ModelwatchError('NotValid', `${field} ${String(rev)} not valid: must be a non-negative integer`);
  }
}
