// The PostgreSQL backend (pg pools). Revisions are serialised at commit (postgres/sql.ts): the
// counter row is updated last, so commit order is revision order and readers see a gap-free prefix.
// The applies of this process are group-committed (write-batcher.ts): one statement per batch.
// Writers commit asynchronously so the counter lock is never held across an fsync, then wait on a
// shared durability barrier before apply resolves; readers pass the same barrier before they hand
// out a revision, so nobody ever sees a revision a server crash could take back.
import pg from 'pg';
import type { Pool, PoolConfig } from 'pg';
import type { Clock, EntityId, EntityInfo, Logger } from '../../core/index.js';
import { ModelwatchError, entityKey, errorMessage } from '../../core/index.js';
import { Doorbell } from '../doorbell.js';
import type { ChangeRead, CompactRequest, CompactResult, Ring, Snapshot, StateDriver, StoredChange, WriteResult } from '../driver.js';
import { pageSql } from '../page-query.js';
import type { ListPageQuery } from '../state.js';
import type { StateLimits } from '../limits.js';
import type { WritePlan } from '../plan.js';
import { FlushBarrier } from './flush-barrier.js';
import { ChangeListener } from './listener.js';
import { migratePostgres } from './migrate.js';
import { Notifier } from './notifier.js';
import * as sql from './sql.js';
import { WriteBatcher } from './write-batcher.js';
import type { QueuedWrite } from './write-batcher.js';
import type { UserStore } from '../users/index.js';
import { PostgresUserStore } from '../users/index.js';
import { PostgresPresenceStore } from '../presence/index.js';

type ChangeRow = [rev: string, modelUUID: string, kind: string, id: string, removed: boolean, at?: string];
type EntityRow = [modelUUID: string, kind: string, id: string, data: string];

export interface PostgresDriverConfig {
  url: string;
  clock: Clock;
  logger: Logger;
  limits: StateLimits;
  onReconnect: () => void;
}

export class PostgresDriver implements StateDriver {
  readonly backend = 'postgres' as const;
  readonly #config: PostgresDriverConfig;
  /** Connections with synchronous_commit=off: used only for the write statement. */
  readonly #writes: Pool;
  /** Default (synchronous) connections: reads, barriers, NOTIFY, compaction. */
  readonly #reads: Pool;
  readonly #barrier: FlushBarrier;
  readonly #notifier: Notifier;
  readonly #listener: ChangeListener;
  readonly #doorbell: Doorbell;
  readonly #batcher: WriteBatcher<WriteResult>;
  /** Every revision at or below this is known to be durable (a barrier completed after it was seen). */
  #durableRev = 0;
  #retries = 0;
  #closed = false;
  #users: UserStore | undefined;
  #presence: PostgresPresenceStore | undefined;

  private constructor(config: PostgresDriverConfig) {
    this.#config = config;
    const base: PoolConfig = { connectionString: config.url, max: config.limits.pgPoolSize };
    this.#writes = new pg.Pool(withAsyncCommit(config.url, config.limits.pgPoolSize));
    this.#reads = new pg.Pool(base);
    // An idle client whose backend dies must not crash the process; the next query reconnects.
    const onIdleError = (err: Error): void => config.logger.warn('state pool connection lost', { error: errorMessage(err) });
    this.#writes.on('error', onIdleError);
    this.#reads.on('error', onIdleError);
    this.#barrier = new FlushBarrier(this.#reads);
    this.#notifier = new Notifier(this.#reads, config.clock, config.logger, config.limits.notifyCoalesceMs);
    this.#doorbell = new Doorbell(config.logger);
    this.#listener = new ChangeListener({
      connection: { connectionString: config.url },
      clock: config.clock,
      logger: config.logger,
      retryMinMs: config.limits.retryMinMs,
      retryMaxMs: config.limits.retryMaxMs,
      onRing: (ring) => {
        // A NOTIFY goes out only after its writer's barrier, and commit order is revision order: every
        // revision up to its payload is durable, so reads up to there need no barrier of their own.
        if (ring.rev !== undefined) this.#durableRev = Math.max(this.#durableRev, ring.rev);
        this.#doorbell.ring(ring);
      },
      onReconnect: config.onReconnect,
    });
    this.#batcher = new WriteBatcher<WriteResult>({
      execute: (batch) => this.#execute(batch),
      settle: (results) => this.#settle(results),
      // A statement that failed on a live connection had no effect (it is one autocommit statement).
      hadNoEffect: (err) => !isConnectionLoss(err),
      maxPlans: config.limits.pgBatchPlans,
      maxRows: config.limits.pgBatchRows,
    });
  }

  /** Connects, migrates and returns a ready driver. */
  static async open(config: PostgresDriverConfig): Promise<PostgresDriver> {
    const driver = new PostgresDriver(config);
    try {
      const client = await driver.#reads.connect();
      try {
        await migratePostgres(client);
      } finally {
        client.release();
      }
      return driver;
    } catch (err) {
      await driver.close();
      throw err;
    }
  }

  write(plan: WritePlan, atMs: number): Promise<WriteResult> {
    this.#checkOpen();
    return this.#batcher.write(plan, atMs);
  }

  /** One statement for the batch, retried while it fails without effect on a deadlock. */
  async #execute(batch: readonly QueuedWrite[]): Promise<WriteResult[]> {
    const params = sql.writeParams(batch);
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.#writes.query<ChangeRow>({ name: 'mw_state_write', text: sql.WRITE_SQL, values: params, rowMode: 'array' });
        return splitByPlan(batch, res.rows);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'string' || !sql.RETRYABLE_SQLSTATES.has(code) || attempt >= this.#config.limits.pgWriteRetries) throw err;
        this.#retries++;
      }
    }
  }

  /** Committed results become durable (one barrier per batch) and are announced; no-ops get the current revision. */
  async #settle(results: WriteResult[]): Promise<WriteResult[]> {
    const rev = results.reduce((max, r) => (r.changes.length > 0 ? Math.max(max, r.rev) : max), 0);
    if (rev > 0) {
      await this.#flush();
      this.#durableRev = Math.max(this.#durableRev, rev);
      this.#notifier.committed(rev);
      this.#doorbell.ring({ rev });
    }
    if (results.every((r) => r.changes.length > 0)) return results;
    const current = await this.revision();
    return results.map((r) => (r.changes.length > 0 ? r : { rev: current, changes: [] }));
  }

  async revision(): Promise<number> {
    this.#checkOpen();
    const res = await this.#read<[string]>({ name: 'mw_state_revision', text: sql.REVISION_SQL, rowMode: 'array' });
    return this.#durable(Number(res.rows[0]?.[0] ?? 0));
  }

  async get(id: EntityId): Promise<EntityInfo | undefined> {
    this.#checkOpen();
    const res = await this.#read<[string]>({ name: 'mw_state_get', text: sql.GET_SQL, values: [id.modelUUID, id.kind, id.id], rowMode: 'array' });
    const data = res.rows[0]?.[0];
    return data === undefined ? undefined : { kind: id.kind, modelUUID: id.modelUUID, id: id.id, data: parseData(data) };
  }

  async list(filter: { modelUUID?: string; kind?: string }): Promise<EntityInfo[]> {
    this.#checkOpen();
    const where: string[] = [];
    const values: string[] = [];
    if (filter.modelUUID !== undefined) {
      values.push(filter.modelUUID);
      where.push(`model_uuid = $${values.length}`);
    }
    if (filter.kind !== undefined) {
      values.push(filter.kind);
      where.push(`kind = $${values.length}`);
    }
    const text = `SELECT model_uuid, kind, id, data FROM entities${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY model_uuid, kind, id`;
    const res = await this.#read<EntityRow>({ text, values, rowMode: 'array' });
    return res.rows.map(toEntity);
  }

  async listPage(query: ListPageQuery): Promise<EntityInfo[]> {
    this.#checkOpen();
    let n = 0;
    // COLLATE "C": byte order of UTF-8, the same (kind, id) order as SQLite's; the primary key
    // index serves it when the database's collation is C (else PostgreSQL sorts the model's rows).
    const { text, values } = pageSql(query, () => `$${++n}`, ' COLLATE "C"');
    const res = await this.#read<EntityRow>({ text, values, rowMode: 'array' });
    return res.rows.map(toEntity);
  }

  async readChanges(afterRev: number, limitRows: number): Promise<ChangeRead> {
    this.#checkOpen();
    // Rows first, floor second (each statement its own snapshot): a compaction committed between the
    // two can only raise the floor we report, never hide rows we did not return.
    const res = await this.#read<ChangeRow>({ name: 'mw_state_changes', text: sql.CHANGES_SQL, values: [afterRev, limitRows], rowMode: 'array' });
    const floorRes = await this.#read<[string]>({ name: 'mw_state_floor', text: sql.FLOOR_SQL, rowMode: 'array' });
    const rows = res.rows.map((r) => toChange(r));
    const last = rows[rows.length - 1];
    if (last !== undefined) await this.#durable(last.rev);
    return { rows, floor: Number(floorRes.rows[0]?.[0] ?? 0) };
  }

  async readRevision(rev: number): Promise<StoredChange[]> {
    this.#checkOpen();
    const res = await this.#read<ChangeRow>({ text: sql.REVISION_ROWS_SQL, values: [rev], rowMode: 'array' });
    await this.#durable(rev);
    return res.rows.map((r) => toChange(r));
  }

  async snapshot(): Promise<Snapshot> {
    this.#checkOpen();
    const client = await this.#reads.connect();
    let rev: number;
    let rows: EntityRow[];
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const r = await client.query<[string]>({ text: sql.REVISION_SQL, rowMode: 'array' });
      rev = Number(r.rows[0]?.[0] ?? 0);
      rows = (await client.query<EntityRow>({ text: sql.ALL_SQL, rowMode: 'array' })).rows;
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw err;
    }
    await this.#durable(rev);
    return { rev, entities: rows.map(toEntity) };
  }

  async compact(request: CompactRequest): Promise<CompactResult> {
    this.#checkOpen();
    const client = await this.#reads.connect();
    try {
      await client.query('BEGIN');
      const floor = Number((await client.query<[string]>({ text: sql.FLOOR_SQL, rowMode: 'array' })).rows[0]?.[0] ?? 0);
      const latest = Number((await client.query<[string]>({ text: sql.REVISION_SQL, rowMode: 'array' })).rows[0]?.[0] ?? 0);
      const countCut = latest - request.keepRevisions;
      const limit = Math.min(countCut, floor + request.maxRevisions);
      let result: CompactResult = { floor, more: false };
      if (limit > floor) {
        const cutRes = await client.query<[string | null]>({ text: sql.COMPACT_CUT_SQL, values: [floor, limit, request.keepSinceMs], rowMode: 'array' });
        const cutText = cutRes.rows[0]?.[0];
        if (cutText != null) {
          const cut = Number(cutText);
          await client.query(sql.COMPACT_DELETE_SQL, [cut]);
          await client.query(sql.COMPACT_FLOOR_SQL, [cut]);
          result = { floor: cut, more: cut === limit && limit < countCut };
        }
      }
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  subscribe(onRing: (ring: Ring) => void): () => void {
    this.#listener.start();
    return this.#doorbell.subscribe(onRing);
  }

  presenceStore(): PostgresPresenceStore {
    this.#checkOpen();
    return (this.#presence ??= new PostgresPresenceStore({ url: this.#config.url, clock: this.#config.clock, logger: this.#config.logger }));
  }

  report(): Record<string, unknown> {
    return {
      backend: this.backend,
      subscribers: this.#doorbell.size,
      'durable-revision': this.#durableRev,
      barriers: this.#barrier.count,
      notifies: this.#notifier.sent,
      'write-retries': this.#retries,
      ...this.#batcher.report(),
      listener: this.#listener.report(),
    };
  }

  /** On the synchronous-commit pool: a resolved user write is durable. */
  userStore(): UserStore {
    return (this.#users ??= new PostgresUserStore(this.#reads));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#notifier.close();
    await this.#presence?.close();
    await this.#listener.close();
    await Promise.all([this.#writes.end(), this.#reads.end()]);
  }

  /** Resolves with `rev` once it is durable (STYLE: never hand out a revision a crash could undo). */
  async #durable(rev: number): Promise<number> {
    if (rev > this.#durableRev) {
      await this.#flush();
      this.#durableRev = Math.max(this.#durableRev, rev);
    }
    return rev;
  }

  /**
   * One read statement, retried on a fresh connection when the one it ran on was dropped (e.g.
   * pg_terminate_backend): reads are idempotent, so a dropped connection only delays them.
   */
  async #read<R extends unknown[]>(config: { name?: string; text: string; values?: unknown[]; rowMode: 'array' }): Promise<pg.QueryResult<R>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#reads.query<R>(config);
      } catch (err) {
        if (attempt >= 3 || this.#closed || !isConnectionLoss(err)) throw err;
        this.#config.logger.warn('state read lost its connection; retrying', { error: errorMessage(err) });
      }
    }
  }

  /** The barrier, retried: a commit already happened, so a dropped barrier connection must not fail it. */
  async #flush(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#barrier.wait();
        return;
      } catch (err) {
        if (attempt >= 3 || this.#closed) throw err;
        this.#config.logger.warn('state durability barrier failed; retrying', { error: errorMessage(err) });
      }
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new ModelwatchError('Stopped', 'state is closed');
  }
}

/**
 * Pool config whose sessions commit asynchronously and use the write's generic plan. pg lets a
 * connection string's `options` override the config's, so a URL that sets options (e.g.
 * search_path) gets ours appended instead.
 */
function withAsyncCommit(url: string, max: number): PoolConfig {
  const u = new URL(url);
  const own = u.searchParams.get('options');
  u.searchParams.delete('options');
  // A generic plan for the one write statement: planning its CTE per call cost more than running it.
  const ours = '-c synchronous_commit=off -c plan_cache_mode=force_generic_plan';
  return { connectionString: u.toString(), max, options: `${own === null ? '' : `${own} `}${ours}` };
}

/** Errors after which the statement did not run to completion on a live session: connection lost. */
function isConnectionLoss(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
  return err instanceof Error && /Connection terminated|ECONNRESET|EPIPE/i.test(err.message);
}

/** Each plan's rows and revision (rows arrive ordered by revision); a plan with no rows changed nothing. */
function splitByPlan(batch: readonly QueuedWrite[], rows: readonly ChangeRow[]): WriteResult[] {
  const changes: StoredChange[][] = batch.map(() => []);
  let owner: Map<string, number> | undefined;
  if (batch.length > 1) {
    owner = new Map();
    batch.forEach(({ plan }, i) => {
      for (const e of plan.sets) owner?.set(entityKey(e), i);
      for (const e of plan.removes) owner?.set(entityKey(e), i);
    });
  }
  for (const r of rows) {
    // Rows of a cascade belong to no listed entity; a batch with a cascade has one plan.
    const i = owner?.get(entityKey({ modelUUID: r[1], kind: r[2], id: r[3] })) ?? 0;
    (changes[i] as StoredChange[]).push(toChange(r, (batch[i] as QueuedWrite).atMs));
  }
  return changes.map((c) => ({ rev: c[0]?.rev ?? 0, changes: c }));
}

function toChange(r: ChangeRow, atMs?: number): StoredChange {
  return { rev: Number(r[0]), modelUUID: r[1], kind: r[2], id: r[3], removed: r[4], at: atMs ?? Number(r[5] ?? 0) };
}

function toEntity(r: EntityRow): EntityInfo {
  return { modelUUID: r[0], kind: r[1], id: r[2], data: parseData(r[3]) };
}

function parseData(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}
