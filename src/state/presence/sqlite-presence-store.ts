// PresenceStore on the state's SQLite database (spec/presence.md §3.4–3.6). Every method runs
// synchronously on the state's connection (better-sqlite3): no await inside a transaction. Masks
// are read with safeIntegers (bigint) and bound as bigint; the doorbell is in-process (one
// controller per SQLite file).
import type { Database, Statement } from 'better-sqlite3';
import { LocalDoorbell } from '../../presence/index.js';
import type { SqlitePeers } from '../peers.js';
import { padded, paddedSize } from '../sqlite/in-list.js';
import { runSync } from '../sqlite/run-sync.js';
import type { Being, PingDoc, PingMasks, PingRow, PresenceStore, RingListener } from '../../presence/index.js';

/** IN-lists are padded to the next power of two (repeating the last value), so at most 11 statements per kind. */
const MAX_IN = 1024;

type Kind = 'pings' | 'beings' | 'seqs';

/** See the file comment. Construct with the state's open database; it shares its lifetime. */
export class SqlitePresenceStore implements PresenceStore {
  readonly #db: Database;
  readonly #stmt: {
    allocateSeq: Statement; insertBeing: Statement; upsert: Statement; pingsOfSlot: Statement; pingsOfModel: Statement;
    beingKey: Statement; lastSeq: Statement; deleteBefore: Statement; beingsOf: Statement;
    removePings: Statement; removeBeings: Statement; removeSeq: Statement;
    count: Record<Kind, { all: Statement; model: Statement }>;
  };
  readonly #inCache = new Map<string, Statement>();
  readonly #allocate: (modelUUID: string, key: string) => number;
  readonly #upsert: (rows: readonly PingRow[]) => void;
  readonly #removeModel: (modelUUID: string) => void;
  readonly #doorbell = new LocalDoorbell();

  readonly #peers: SqlitePeers | undefined;

  /** `peers`: other processes on the same file, which hear this store's rings (state/peers.ts). */
  constructor(db: Database, peers?: SqlitePeers) {
    this.#db = db;
    this.#peers = peers;
    this.#stmt = {
      allocateSeq: db.prepare(`INSERT INTO presence_seqs (model_uuid, seq) VALUES (?, 1)
        ON CONFLICT (model_uuid) DO UPDATE SET seq = presence_seqs.seq + 1 RETURNING seq`).pluck(),
      insertBeing: db.prepare('INSERT INTO presence_beings (model_uuid, seq, key) VALUES (?, ?, ?)'),
      upsert: db.prepare(`INSERT INTO presence_pings (model_uuid, slot, field_key, alive, dead) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (model_uuid, slot, field_key) DO UPDATE
        SET alive = presence_pings.alive | excluded.alive, dead = presence_pings.dead | excluded.dead`),
      pingsOfSlot: db.prepare('SELECT field_key, alive, dead FROM presence_pings WHERE model_uuid = ? AND slot = ?').raw().safeIntegers(true),
      pingsOfModel: db.prepare('SELECT slot, field_key, alive, dead FROM presence_pings WHERE model_uuid = ?').raw().safeIntegers(true),
      beingKey: db.prepare('SELECT key FROM presence_beings WHERE model_uuid = ? AND seq = ?').pluck(),
      lastSeq: db.prepare('SELECT seq FROM presence_seqs WHERE model_uuid = ?').pluck(),
      deleteBefore: db.prepare('DELETE FROM presence_pings WHERE model_uuid = ? AND slot < ?'),
      beingsOf: db.prepare('SELECT seq, key FROM presence_beings WHERE model_uuid = ?').raw(),
      removePings: db.prepare('DELETE FROM presence_pings WHERE model_uuid = ?'),
      removeBeings: db.prepare('DELETE FROM presence_beings WHERE model_uuid = ?'),
      removeSeq: db.prepare('DELETE FROM presence_seqs WHERE model_uuid = ?'),
      count: {
        pings: {
          all: db.prepare('SELECT count(*) FROM (SELECT DISTINCT model_uuid, slot FROM presence_pings)').pluck(),
          model: db.prepare('SELECT count(*) FROM (SELECT DISTINCT slot FROM presence_pings WHERE model_uuid = ?)').pluck(),
        },
        beings: {
          all: db.prepare('SELECT count(*) FROM presence_beings').pluck(),
          model: db.prepare('SELECT count(*) FROM presence_beings WHERE model_uuid = ?').pluck(),
        },
        seqs: {
          all: db.prepare('SELECT count(*) FROM presence_seqs').pluck(),
          model: db.prepare('SELECT count(*) FROM presence_seqs WHERE model_uuid = ?').pluck(),
        },
      },
    };
    const s = this.#stmt;
    const allocate = db.transaction((modelUUID: string, key: string): number => {
      const seq = Number(s.allocateSeq.get(modelUUID));
      s.insertBeing.run(modelUUID, seq, key);
      return seq;
    });
    this.#allocate = (m, k) => allocate.immediate(m, k);
    const upsert = db.transaction((rows: readonly PingRow[]) => {
      for (const r of rows) s.upsert.run(r.modelUUID, r.slot, r.fieldKey, r.alive, r.dead);
    });
    this.#upsert = (rows) => upsert.immediate(rows);
    const remove = db.transaction((modelUUID: string) => {
      s.removePings.run(modelUUID);
      s.removeBeings.run(modelUUID);
      s.removeSeq.run(modelUUID);
    });
    this.#removeModel = (m) => remove.immediate(m);
  }

  pingDoc(modelUUID: string, slot: number): Promise<PingDoc | undefined> {
    return runSync(() => {
      const rows = this.#stmt.pingsOfSlot.all(modelUUID, slot) as [string, bigint, bigint][];
      if (rows.length === 0) return undefined;
      const doc: PingDoc = { slot, alive: {}, dead: {} };
      for (const [key, alive, dead] of rows) {
        if (alive !== 0n) doc.alive[key] = alive;
        if (dead !== 0n) doc.dead[key] = dead;
      }
      return doc;
    });
  }

  countDocs(kind: Kind, modelUUID?: string): Promise<number> {
    return runSync(() => {
      const c = this.#stmt.count[kind];
      return Number(modelUUID === undefined ? c.all.get() : c.model.get(modelUUID));
    });
  }

  beingKey(modelUUID: string, seq: number): Promise<string | undefined> {
    return runSync(() => this.#stmt.beingKey.get(modelUUID, seq) as string | undefined);
  }

  lastSeq(modelUUID: string): Promise<number> {
    return runSync(() => Number(this.#stmt.lastSeq.get(modelUUID) ?? 0));
  }

  allocate(modelUUID: string, key: string): Promise<number> {
    return runSync(() => this.#allocate(modelUUID, key));
  }

  upsertPings(rows: readonly PingRow[]): Promise<void> {
    return runSync(() => this.#upsert(rows));
  }

  readPings(modelUUID: string, slots?: readonly number[]): Promise<PingMasks[]> {
    return runSync(() => {
      const raw = slots === undefined
        ? (this.#stmt.pingsOfModel.all(modelUUID) as [bigint, string, bigint, bigint][])
        : slots.length === 0 ? [] : (this.#inStatement('pings', slots.length).all(modelUUID, ...padded(slots)) as [bigint, string, bigint, bigint][]);
      return raw.map(([slot, fieldKey, alive, dead]) => ({ slot: Number(slot), fieldKey, alive, dead }));
    });
  }

  lookupBeings(modelUUID: string, seqs: readonly number[]): Promise<Map<number, string>> {
    return runSync(() => {
      const out = new Map<number, string>();
      for (let i = 0; i < seqs.length; i += MAX_IN) {
        const chunk = seqs.slice(i, i + MAX_IN);
        for (const [seq, key] of this.#inStatement('beings', chunk.length).all(modelUUID, ...padded(chunk)) as [number, string][]) out.set(seq, key);
      }
      return out;
    });
  }

  deletePingsBefore(modelUUID: string, slot: number): Promise<number> {
    return runSync(() => this.#stmt.deleteBefore.run(modelUUID, slot).changes);
  }

  beingsOf(modelUUID: string): Promise<Being[]> {
    return runSync(() => (this.#stmt.beingsOf.all(modelUUID) as [number, string][]).map(([seq, key]) => ({ seq, key })));
  }

  deleteBeings(modelUUID: string, seqs: readonly number[]): Promise<number> {
    return runSync(() => {
      let n = 0;
      for (let i = 0; i < seqs.length; i += MAX_IN) {
        const chunk = seqs.slice(i, i + MAX_IN);
        n += this.#inStatement('delete-beings', chunk.length).run(modelUUID, ...padded(chunk)).changes;
      }
      return n;
    });
  }

  removeModel(modelUUID: string): Promise<void> {
    return runSync(() => this.#removeModel(modelUUID));
  }

  ring(modelUUID: string): void {
    this.#doorbell.ring(modelUUID);
    this.#peers?.publish({ kind: 'presence', modelUUID });
  }

  /** A ring another process sent: heard here, not sent back. */
  ringLocal(modelUUID: string): void {
    this.#doorbell.ring(modelUUID);
  }

  onRing(listener: RingListener): () => void {
    return this.#doorbell.onRing(listener);
  }

  /** The prepared `IN (?, …)` statement of a kind for n values, padded to a power of two. */
  #inStatement(kind: 'pings' | 'beings' | 'delete-beings', n: number): Statement {
    const size = paddedSize(n);
    const id = `${kind}/${size}`;
    let stmt = this.#inCache.get(id);
    if (stmt === undefined) {
      const list = Array.from({ length: size }, () => '?').join(', ');
      stmt = kind === 'pings'
        ? this.#db.prepare(`SELECT slot, field_key, alive, dead FROM presence_pings WHERE model_uuid = ? AND slot IN (${list})`).raw().safeIntegers(true)
        : kind === 'beings'
          ? this.#db.prepare(`SELECT seq, key FROM presence_beings WHERE model_uuid = ? AND seq IN (${list})`).raw()
          : this.#db.prepare(`DELETE FROM presence_beings WHERE model_uuid = ? AND seq IN (${list})`);
      this.#inCache.set(id, stmt);
    }
    return stmt;
  }
}
