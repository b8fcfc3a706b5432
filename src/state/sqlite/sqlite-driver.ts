// The SQLite backend (better-sqlite3, WAL). Writes are group-committed: the applies that arrive in
// one event-loop turn are written at the end of it (setImmediate, not a timer) in ONE synchronous
// IMMEDIATE transaction, each plan in its own savepoint at its own revision, in call order; a plan
// the database refuses rolls back alone. The doorbell rings after the commit, before apply resolves.
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { EntityId, EntityInfo, Logger } from '../../core/index.js';
import { ModelwatchError, entityKey } from '../../core/index.js';
import { Doorbell } from '../doorbell.js';
import type { ChangeRead, CompactRequest, CompactResult, Ring, Snapshot, StateDriver, StoredChange, WriteResult } from '../driver.js';
import { pageSql } from '../page-query.js';
import type { ListPageQuery } from '../state.js';
import type { StateLimits } from '../limits.js';
import type { WritePlan } from '../plan.js';
import { META } from '../schema/migrations.js';
import { WalCheckpointer } from './checkpointer.js';
import { padded } from './in-list.js';
import { migrateSqlite } from './migrate.js';
import type { UserStore } from '../users/index.js';
import { SqliteUserStore } from '../users/index.js';
import { SqlitePresenceStore } from '../presence/index.js';
import type { PeerRing, SqlitePeers } from '../peers.js';
import { loggedPeers } from '../peers.js';

/** Latest revision: the newest change row, or the counter compaction left when it deleted all. */
const REVISION_EXPR = `max(coalesce((SELECT max(rev) FROM changes), 0), (SELECT value FROM meta WHERE key = '${META.revision}'))`;

/** Most applies one group-commit transaction takes (PostgreSQL's batches take 64). */
const MAX_GROUP = 256;

/** An apply waiting for the end of the event-loop turn. */
interface QueuedWrite {
  plan: WritePlan;
  atMs: number;
  resolve: (result: WriteResult) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; result: WriteResult } | { ok: false; error: unknown };

type ChangeRow = [rev: number, modelUUID: string, kind: string, id: string, removed: number, at: number];
type EntityRow = [modelUUID: string, kind: string, id: string, data: string];

export interface SqliteDriverConfig {
  /** File path, or ':memory:'. */
  path: string;
  logger: Logger;
  limits: StateLimits;
  /** Other processes on the same file: commits and presence rings cross to them (peers.ts). */
  peers?: SqlitePeers;
}

export class SqliteDriver implements StateDriver {
  readonly backend = 'sqlite' as const;
  readonly #db: SqliteDatabase;
  readonly #doorbell: Doorbell;
  readonly #write: (plan: WritePlan, atMs: number) => WriteResult;
  readonly #writeMany: (batch: readonly QueuedWrite[]) => Outcome[];
  /** Applies waiting for the end of this event-loop turn. */
  #queue: QueuedWrite[] = [];
  #batches = 0;
  #batchedPlans = 0;
  readonly #stmt: Record<
    'upsert' | 'delete' | 'modelKeys' | 'revision' | 'logChange' | 'meta' | 'get' | 'changes' | 'revisionRows' | 'all',
    Statement
  >;
  /**
   * listPage statements by SQL text, one per shape: with or without after, and no kinds or a kinds
   * list padded to a power of two up to 1,024 (MAX_PAGE_KINDS is 1,000): at most 24.
   */
  readonly #pageStatements = new Map<string, Statement>();
  /** Background WAL checkpoints; undefined for ':memory:' (no WAL). */
  readonly #checkpointer: WalCheckpointer | undefined;
  #closed = false;
  #users: UserStore | undefined;
  #presence: SqlitePresenceStore | undefined;
  readonly #peers: SqlitePeers | undefined;
  readonly #unsubscribePeers: (() => void) | undefined;
  #peerRings = 0;

  constructor(config: SqliteDriverConfig) {
    this.#db = new Database(config.path);
    this.#doorbell = new Doorbell(config.logger);
    const db = this.#db;
    if (config.path !== ':memory:') db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a process crash loses nothing; only an OS crash can lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.trunc(config.limits.sqliteBusyTimeoutMs)}`);
    db.pragma('foreign_keys = ON');
    try {
      migrateSqlite(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#stmt = {
      upsert: db.prepare(`INSERT INTO entities (model_uuid, kind, id, data) VALUES (?, ?, ?, ?)
        ON CONFLICT (model_uuid, kind, id) DO UPDATE SET data = excluded.data WHERE data IS NOT excluded.data`),
      delete: db.prepare('DELETE FROM entities WHERE model_uuid = ? AND kind = ? AND id = ?'),
      modelKeys: db.prepare('SELECT kind, id FROM entities WHERE model_uuid = ?').raw(),
      revision: db.prepare(`SELECT ${REVISION_EXPR}`).pluck(),
      logChange: db.prepare('INSERT INTO changes (rev, model_uuid, kind, id, removed, at) VALUES (?, ?, ?, ?, ?, ?)'),
      meta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      get: db.prepare('SELECT data FROM entities WHERE model_uuid = ? AND kind = ? AND id = ?').pluck(),
      changes: db.prepare(`SELECT rev, model_uuid, kind, id, removed, at FROM changes WHERE rev > ?
        ORDER BY rev, model_uuid, kind, id LIMIT ?`).raw(),
      revisionRows: db.prepare(`SELECT rev, model_uuid, kind, id, removed, at FROM changes WHERE rev = ?
        ORDER BY model_uuid, kind, id`).raw(),
      all: db.prepare('SELECT model_uuid, kind, id, data FROM entities ORDER BY model_uuid, kind, id').raw(),
    };
    const txn = db.transaction((plan: WritePlan, atMs: number) => this.#writeSync(plan, atMs));
    this.#write = (plan, atMs) => txn.immediate(plan, atMs);
    // Inside the outer transaction, better-sqlite3 runs `txn` as a SAVEPOINT: a plan that throws
    // rolls back alone, and the others still commit. Some errors (a full disk, an I/O error,
    // RAISE(ROLLBACK)) make SQLite roll back the whole transaction instead: then `txn` would run the
    // next plans as transactions of their own, committed out of call order and written again by the
    // retry, so the batch is abandoned and #flush retries each plan alone.
    const many = db.transaction((batch: readonly QueuedWrite[]): Outcome[] => batch.map((w) => {
      try {
        return { ok: true, result: txn(w.plan, w.atMs) };
      } catch (err) {
        if (!db.inTransaction) throw err;
        return { ok: false, error: err };
      }
    }));
    this.#writeMany = (batch) => many.immediate(batch);
    this.#checkpointer =
      config.path === ':memory:'
        ? undefined
        : new WalCheckpointer({
            path: config.path,
            db,
            logger: config.logger,
            framesPerCheckpoint: config.limits.sqliteCheckpointFrames,
            busyTimeoutMs: config.limits.sqliteBusyTimeoutMs,
          });
    this.#peers = config.peers === undefined ? undefined : loggedPeers(config.peers, config.logger);
    this.#unsubscribePeers = config.peers?.subscribe((ring) => this.#onPeerRing(ring));
  }

  /** Another process committed (exact rows: a backing at rev − 1 needs no read) or rang presence. */
  #onPeerRing(ring: PeerRing): void {
    if (this.#closed) return;
    this.#peerRings++;
    if (ring.kind === 'state') this.#doorbell.ring({ rev: ring.rev, changes: ring.changes });
    else this.#presence?.ringLocal(ring.modelUUID);
  }

  write(plan: WritePlan, atMs: number): Promise<WriteResult> {
    this.#checkOpen();
    return new Promise<WriteResult>((resolve, reject) => {
      this.#queue.push({ plan, atMs, resolve, reject });
      if (this.#queue.length === 1) setImmediate(() => this.#flush());
    });
  }

  /** Commits every queued apply: one transaction for all, or (if that fails) one each. */
  #flush(): void {
    if (this.#queue.length === 0) return;
    // At most MAX_GROUP plans a transaction, so one write lock hold (and WAL append) stays bounded;
    // the rest go in the next turn's transaction, still in call order.
    const batch = this.#queue.splice(0, MAX_GROUP);
    if (this.#queue.length > 0) setImmediate(() => this.#flush());
    if (this.#closed) {
      for (const w of batch) w.reject(new ModelwatchError('Stopped', 'state is closed'));
      return;
    }
    let outcomes: Outcome[];
    let shared = false; // all of the batch in one transaction, so one commit
    if (batch.length === 1) {
      outcomes = [this.#writeOne(batch[0] as QueuedWrite)];
    } else {
      try {
        outcomes = this.#writeMany(batch);
        shared = true;
        this.#batches++;
        this.#batchedPlans += batch.length;
      } catch {
        // The transaction itself failed (BEGIN, COMMIT, or a rollback of all of it): nothing of it
        // was written. Each apply is tried alone, so only one the database refuses on its own fails.
        outcomes = batch.map((w) => this.#writeOne(w));
      }
    }
    if (shared) {
      // The checkpointer estimates frames per commit (one per row plus one for the commit).
      const rows = outcomes.reduce((n, o) => n + (o.ok ? o.result.changes.length : 0), 0);
      if (rows > 0) this.#checkpointer?.committed(rows);
    }
    batch.forEach((w, i) => {
      const o = outcomes[i] as Outcome;
      if (!o.ok) {
        w.reject(o.error);
        return;
      }
      const result = o.result;
      if (result.changes.length > 0) {
        if (!shared) this.#checkpointer?.committed(result.changes.length);
        this.#doorbell.ring({ rev: result.rev, changes: result.changes });
        this.#peers?.publish({ kind: 'state', rev: result.rev, changes: result.changes });
      }
      w.resolve(result);
    });
  }

  #writeOne(w: QueuedWrite): Outcome {
    try {
      return { ok: true, result: this.#write(w.plan, w.atMs) };
    } catch (err) {
      return { ok: false, error: err };
    }
  }

  /** Runs inside the transaction: synchronous by construction (better-sqlite3 refuses promises). */
  #writeSync(plan: WritePlan, atMs: number): WriteResult {
    const changed: { id: EntityId; removed: boolean }[] = [];
    for (const s of plan.sets) {
      if (this.#stmt.upsert.run(s.modelUUID, s.kind, s.id, s.data).changes > 0) changed.push({ id: s, removed: false });
    }
    for (const r of plan.removes) {
      if (this.#stmt.delete.run(r.modelUUID, r.kind, r.id).changes > 0) changed.push({ id: r, removed: true });
    }
    const setKeys = plan.cascades.length === 0 ? undefined : new Set(plan.sets.map(entityKey));
    for (const modelUUID of plan.cascades) {
      for (const [kind, id] of this.#stmt.modelKeys.all(modelUUID) as [string, string][]) {
        const target: EntityId = { kind, modelUUID, id };
        if (setKeys?.has(entityKey(target)) === true) continue;
        this.#stmt.delete.run(modelUUID, kind, id);
        changed.push({ id: target, removed: true });
      }
    }
    const current = this.#revisionSync();
    if (changed.length === 0) return { rev: current, changes: [] };
    const rev = current + 1;
    // The order a read of the log gives (model, kind, id; BINARY), so a backing delivers a revision's
    // rows in one order whether it takes them from the ring or reads them.
    if (changed.length > 1) changed.sort((a, b) => binaryCompare(a.id.modelUUID, b.id.modelUUID) || binaryCompare(a.id.kind, b.id.kind) || binaryCompare(a.id.id, b.id.id));
    const changes: StoredChange[] = changed.map(({ id, removed }) => {
      this.#stmt.logChange.run(rev, id.modelUUID, id.kind, id.id, removed ? 1 : 0, atMs);
      return { rev, kind: id.kind, modelUUID: id.modelUUID, id: id.id, removed, at: atMs };
    });
    return { rev, changes };
  }

  revision(): Promise<number> {
    this.#checkOpen();
    return Promise.resolve(this.#revisionSync());
  }

  #revisionSync(): number {
    return Number(this.#stmt.revision.get() ?? 0);
  }

  get(id: EntityId): Promise<EntityInfo | undefined> {
    this.#checkOpen();
    const data = this.#stmt.get.get(id.modelUUID, id.kind, id.id) as string | undefined;
    return Promise.resolve(data === undefined ? undefined : { kind: id.kind, modelUUID: id.modelUUID, id: id.id, data: parseData(data) });
  }

  list(filter: { modelUUID?: string; kind?: string }): Promise<EntityInfo[]> {
    this.#checkOpen();
    const where: string[] = [];
    const params: string[] = [];
    if (filter.modelUUID !== undefined) {
      where.push('model_uuid = ?');
      params.push(filter.modelUUID);
    }
    if (filter.kind !== undefined) {
      where.push('kind = ?');
      params.push(filter.kind);
    }
    const sql = `SELECT model_uuid, kind, id, data FROM entities${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY model_uuid, kind, id`;
    const rows = this.#db.prepare(sql).raw().all(...params) as EntityRow[];
    return Promise.resolve(rows.map(toEntity));
  }

  listPage(query: ListPageQuery): Promise<EntityInfo[]> {
    this.#checkOpen();
    // better-sqlite3 caches no statement: each shape is prepared once, into #pageStatements.
    const { text, values } = pageSql(query.kinds === undefined ? query : { ...query, kinds: padded(query.kinds) }, () => '?', '');
    let stmt = this.#pageStatements.get(text);
    if (stmt === undefined) {
      stmt = this.#db.prepare(text).raw();
      this.#pageStatements.set(text, stmt);
    }
    const rows = stmt.all(...values) as EntityRow[];
    return Promise.resolve(rows.map(toEntity));
  }

  readChanges(afterRev: number, limitRows: number): Promise<ChangeRead> {
    this.#checkOpen();
    const read = this.#db.transaction((): ChangeRead => {
      const rows = (this.#stmt.changes.all(afterRev, limitRows) as ChangeRow[]).map(toChange);
      return { rows, floor: this.#metaValue(META.compacted) };
    });
    return Promise.resolve(read.deferred());
  }

  readRevision(rev: number): Promise<StoredChange[]> {
    this.#checkOpen();
    return Promise.resolve((this.#stmt.revisionRows.all(rev) as ChangeRow[]).map(toChange));
  }

  snapshot(): Promise<Snapshot> {
    this.#checkOpen();
    const read = this.#db.transaction((): Snapshot => {
      const rev = this.#revisionSync();
      return { rev, entities: (this.#stmt.all.all() as EntityRow[]).map(toEntity) };
    });
    return Promise.resolve(read.deferred());
  }

  compact(request: CompactRequest): Promise<CompactResult> {
    this.#checkOpen();
    const run = this.#db.transaction((): CompactResult => {
      const floor = this.#metaValue(META.compacted);
      const latest = this.#revisionSync();
      const countCut = latest - request.keepRevisions;
      const limit = Math.min(countCut, floor + request.maxRevisions);
      if (limit <= floor) return { floor, more: false };
      const cut = this.#db
        .prepare('SELECT max(rev) FROM changes WHERE rev > ? AND rev <= ? AND at < ?')
        .pluck()
        .get(floor, limit, request.keepSinceMs) as number | null;
      if (cut === null) return { floor, more: false };
      this.#db.prepare('DELETE FROM changes WHERE rev <= ?').run(cut);
      this.#db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(cut, META.compacted);
      this.#db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(latest, META.revision);
      return { floor: cut, more: cut === limit && limit < countCut };
    });
    return Promise.resolve(run.immediate());
  }

  subscribe(onRing: (ring: Ring) => void): () => void {
    return this.#doorbell.subscribe(onRing);
  }

  presenceStore(): SqlitePresenceStore {
    this.#checkOpen();
    return (this.#presence ??= new SqlitePresenceStore(this.#db, this.#peers));
  }

  report(): Record<string, unknown> {
    return {
      backend: this.backend, subscribers: this.#doorbell.size,
      groupCommit: { batches: this.#batches, plansInBatches: this.#batchedPlans },
      ...(this.#peers === undefined ? {} : { peerRings: this.#peerRings }),
      ...this.#checkpointer?.report(),
    };
  }

  userStore(): UserStore {
    return (this.#users ??= new SqliteUserStore(this.#db));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#queue.length > 0) this.#flush(); // applies already accepted are written, not dropped
    this.#closed = true;
    this.#unsubscribePeers?.();
    await this.#checkpointer?.close(); // before the writer's connection, whose close checkpoints the rest
    this.#db.close();
  }

  #metaValue(key: string): number {
    return Number(this.#stmt.meta.get(key) ?? 0);
  }

  #checkOpen(): void {
    if (this.#closed) throw new ModelwatchError('Stopped', 'state is closed');
  }
}

/** SQLite's BINARY order (UTF-8 bytes, i.e. code points) of two strings. */
function binaryCompare(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function toChange(r: ChangeRow): StoredChange {
  return { rev: r[0], modelUUID: r[1], kind: r[2], id: r[3], removed: r[4] !== 0, at: r[5] };
}

function toEntity(r: EntityRow): EntityInfo {
  return { modelUUID: r[0], kind: r[1], id: r[2], data: parseData(r[3]) };
}

function parseData(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}
