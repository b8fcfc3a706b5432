// PresenceStore on PostgreSQL (spec/presence.md §3.4–3.6), shared by every controller. It owns a
// small pool (synchronous commit: a lost allocation could hand one seq to two keys after a crash)
// and one LISTEN connection for the doorbell. int8 arrives as text and becomes BigInt here (pg's
// global type parsers stay untouched); masks go out as decimal strings.
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { ModelwatchError, SystemClock, errorMessage } from '../../core/index.js';
import type { Clock, Logger, TimerHandle } from '../../core/index.js';
import type { Being, PingDoc, PingMasks, PingRow, PresenceStore, RingListener } from '../../presence/index.js';
import { PresenceListener } from './presence-listener.js';

/** Rows per multi-row upsert statement: bounded parameters, short lock hold (spec §3.5). */
const MAX_ROWS_PER_STATEMENT = 1000;
/** At most one NOTIFY per 50 ms per controller (spec §3.6). */
const NOTIFY_COALESCE_MS = 50;
/** The doorbell channel. */
export const PRESENCE_CHANNEL = 'modelwatch_presence';
/** Clock-skew check against clock_timestamp() (spec §4.6): at start and every 10 min. */
const SKEW_CHECK_MS = 10 * 60_000;
/** Warn above (P − I)/2 at the default P: (30 − 23)/2 s. */
const SKEW_WARN_MS = 3_500;

const ALLOCATE_SQL = `WITH s AS (
  INSERT INTO presence_seqs (model_uuid, seq) VALUES ($1, 1)
  ON CONFLICT (model_uuid) DO UPDATE SET seq = presence_seqs.seq + 1
  RETURNING seq)
INSERT INTO presence_beings (model_uuid, seq, key) SELECT $1, seq, $2 FROM s RETURNING seq`;
const UPSERT_SQL = `INSERT INTO presence_pings (model_uuid, slot, field_key, alive, dead)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[])
ON CONFLICT (model_uuid, slot, field_key) DO UPDATE
  SET alive = presence_pings.alive | excluded.alive, dead = presence_pings.dead | excluded.dead`;

export interface PostgresPresenceStoreConfig {
  url: string;
  clock: Clock;
  logger: Logger;
  /** Connections of the presence pool (default 3). */
  poolSize?: number;
}

/** See the file comment. `close()` ends the pool, the listener and the timers. */
export class PostgresPresenceStore implements PresenceStore {
  readonly #pool: Pool;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #listener: PresenceListener;
  /** Models rung since the last NOTIFY; sent as one payload (`*` for several). */
  #pendingRings = new Set<string>();
  #notifyTimer: TimerHandle | undefined;
  #lastNotifyAt = -Infinity;
  #skewTimer: TimerHandle | undefined;
  #closed = false;
  #stats = { notifies: 0, notifyErrors: 0 };

  constructor(cfg: PostgresPresenceStoreConfig) {
    this.#clock = cfg.clock;
    this.#logger = cfg.logger;
    this.#pool = new pg.Pool({ connectionString: cfg.url, max: cfg.poolSize ?? 3 });
    this.#pool.on('error', (err) => cfg.logger.warn('presence pool connection lost', { error: errorMessage(err) }));
    this.#listener = new PresenceListener({ url: cfg.url, channel: PRESENCE_CHANNEL, clock: cfg.clock, logger: cfg.logger });
    if (cfg.clock instanceof SystemClock) this.#checkSkew();
  }

  async pingDoc(modelUUID: string, slot: number): Promise<PingDoc | undefined> {
    const res = await this.#query<[string, string, string]>('SELECT field_key, alive, dead FROM presence_pings WHERE model_uuid = $1 AND slot = $2', [modelUUID, slot]);
    if (res.length === 0) return undefined;
    const doc: PingDoc = { slot, alive: {}, dead: {} };
    for (const [key, alive, dead] of res) {
      if (alive !== '0') doc.alive[key] = BigInt(alive);
      if (dead !== '0') doc.dead[key] = BigInt(dead);
    }
    return doc;
  }

  async countDocs(kind: 'pings' | 'beings' | 'seqs', modelUUID?: string): Promise<number> {
    const from = kind === 'pings' ? '(SELECT DISTINCT model_uuid, slot FROM presence_pings) p' : kind === 'beings' ? 'presence_beings' : 'presence_seqs';
    const rows = modelUUID === undefined
      ? await this.#query<[string]>(`SELECT count(*) FROM ${from}`, [])
      : await this.#query<[string]>(`SELECT count(*) FROM ${from} WHERE model_uuid = $1`, [modelUUID]);
    return Number(rows[0]?.[0] ?? 0);
  }

  async beingKey(modelUUID: string, seq: number): Promise<string | undefined> {
    const rows = await this.#query<[string]>('SELECT key FROM presence_beings WHERE model_uuid = $1 AND seq = $2', [modelUUID, seq]);
    return rows[0]?.[0];
  }

  async lastSeq(modelUUID: string): Promise<number> {
    const rows = await this.#query<[string]>('SELECT seq FROM presence_seqs WHERE model_uuid = $1', [modelUUID]);
    return Number(rows[0]?.[0] ?? 0);
  }

  async allocate(modelUUID: string, key: string): Promise<number> {
    const rows = await this.#query<[string]>(ALLOCATE_SQL, [modelUUID, key], 'mw_presence_allocate');
    const seq = rows[0]?.[0];
    if (seq === undefined) throw new ModelwatchError('Internal', 'presence sequence allocation returned no row');
    return Number(seq);
  }

  /**
   * Merges rows with the same primary key (a statement may not touch a row twice), sorts them by
   * primary key (controllers lock rows in one order), and writes ≤ 1000 per statement in one transaction.
   */
  async upsertPings(rows: readonly PingRow[]): Promise<void> {
    const merged = new Map<string, { m: string; s: number; k: string; a: bigint; d: bigint }>();
    for (const r of rows) {
      const id = `${r.modelUUID}\u0000${String(r.slot).padStart(16, '0')}\u0000${r.fieldKey}`;
      const prev = merged.get(id);
      if (prev === undefined) merged.set(id, { m: r.modelUUID, s: r.slot, k: r.fieldKey, a: r.alive, d: r.dead });
      else {
        prev.a |= r.alive;
        prev.d |= r.dead;
      }
    }
    const sorted = [...merged.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((e) => e[1]);
    if (sorted.length === 0) return;
    const chunks: (typeof sorted)[] = [];
    for (let i = 0; i < sorted.length; i += MAX_ROWS_PER_STATEMENT) chunks.push(sorted.slice(i, i + MAX_ROWS_PER_STATEMENT));
    const params = (c: typeof sorted): unknown[] => [c.map((r) => r.m), c.map((r) => r.s), c.map((r) => r.k), c.map((r) => r.a.toString()), c.map((r) => r.d.toString())];
    if (chunks.length === 1) {
      await this.#query(UPSERT_SQL, params(chunks[0] ?? []), 'mw_presence_upsert');
      return;
    }
    await this.#transaction(async (client) => {
      for (const c of chunks) await client.query({ name: 'mw_presence_upsert', text: UPSERT_SQL, values: params(c) });
    });
  }

  async readPings(modelUUID: string, slots?: readonly number[]): Promise<PingMasks[]> {
    const rows = slots === undefined
      ? await this.#query<[string, string, string, string]>('SELECT slot, field_key, alive, dead FROM presence_pings WHERE model_uuid = $1', [modelUUID])
      : await this.#query<[string, string, string, string]>(
        'SELECT slot, field_key, alive, dead FROM presence_pings WHERE model_uuid = $1 AND slot = ANY($2::bigint[])', [modelUUID, [...slots]], 'mw_presence_window');
    return rows.map(([slot, fieldKey, alive, dead]) => ({ slot: Number(slot), fieldKey, alive: BigInt(alive), dead: BigInt(dead) }));
  }

  async lookupBeings(modelUUID: string, seqs: readonly number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (let i = 0; i < seqs.length; i += MAX_ROWS_PER_STATEMENT) {
      const rows = await this.#query<[string, string]>(
        'SELECT seq, key FROM presence_beings WHERE model_uuid = $1 AND seq = ANY($2::bigint[])', [modelUUID, seqs.slice(i, i + MAX_ROWS_PER_STATEMENT)], 'mw_presence_beings');
      for (const [seq, key] of rows) out.set(Number(seq), key);
    }
    return out;
  }

  async deletePingsBefore(modelUUID: string, slot: number): Promise<number> {
    return (await this.#pool.query('DELETE FROM presence_pings WHERE model_uuid = $1 AND slot < $2', [modelUUID, slot])).rowCount ?? 0;
  }

  async beingsOf(modelUUID: string): Promise<Being[]> {
    const rows = await this.#query<[string, string]>('SELECT seq, key FROM presence_beings WHERE model_uuid = $1', [modelUUID]);
    return rows.map(([seq, key]) => ({ seq: Number(seq), key }));
  }

  async deleteBeings(modelUUID: string, seqs: readonly number[]): Promise<number> {
    let n = 0;
    for (let i = 0; i < seqs.length; i += MAX_ROWS_PER_STATEMENT) {
      const res = await this.#pool.query('DELETE FROM presence_beings WHERE model_uuid = $1 AND seq = ANY($2::bigint[])', [modelUUID, seqs.slice(i, i + MAX_ROWS_PER_STATEMENT)]);
      n += res.rowCount ?? 0;
    }
    return n;
  }

  async removeModel(modelUUID: string): Promise<void> {
    await this.#transaction(async (client) => {
      for (const table of ['presence_pings', 'presence_beings', 'presence_seqs']) await client.query(`DELETE FROM ${table} WHERE model_uuid = $1`, [modelUUID]);
    });
  }

  /** NOTIFY after the caller's write committed; coalesced to one per 50 ms (payload `*` for several models). */
  ring(modelUUID: string): void {
    if (this.#closed) return;
    this.#pendingRings.add(modelUUID);
    if (this.#notifyTimer !== undefined) return;
    const wait = this.#lastNotifyAt + NOTIFY_COALESCE_MS - this.#clock.now();
    if (wait <= 0) {
      this.#sendNotify();
      return;
    }
    this.#notifyTimer = this.#clock.setTimeout(() => {
      this.#notifyTimer = undefined;
      this.#sendNotify();
    }, wait);
  }

  onRing(listener: RingListener): () => void {
    return this.#listener.subscribe(listener);
  }

  report(): Record<string, unknown> {
    return { notifies: this.#stats.notifies, 'notify-errors': this.#stats.notifyErrors, listener: this.#listener.report() };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#notifyTimer?.cancel();
    this.#skewTimer?.cancel();
    if (this.#pendingRings.size > 0) this.#sendNotify();
    await this.#listener.close();
    await this.#pool.end();
  }

  #sendNotify(): void {
    const models = this.#pendingRings;
    this.#pendingRings = new Set();
    if (models.size === 0) return;
    const payload = models.size === 1 ? [...models][0] ?? '*' : '*';
    this.#lastNotifyAt = this.#clock.now();
    this.#stats.notifies++;
    this.#pool.query('SELECT pg_notify($1, $2)', [PRESENCE_CHANNEL, payload]).catch((err: unknown) => {
      this.#stats.notifyErrors++;
      this.#logger.warn('presence NOTIFY failed; watchers catch up at their next read', { error: errorMessage(err) });
    });
  }

  #checkSkew(): void {
    if (this.#closed) return;
    const before = this.#clock.now();
    this.#query<[string]>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint', []).then(([row]) => {
      const after = this.#clock.now();
      const skew = Number(row?.[0] ?? NaN) - (before + after) / 2;
      if (Math.abs(skew) > SKEW_WARN_MS) this.#logger.warn('clock differs from the PostgreSQL server; presence may show false deaths', { skewMs: Math.round(skew) });
    }, (err: unknown) => this.#logger.debug('presence clock check failed', { error: errorMessage(err) }));
    this.#skewTimer = this.#clock.setTimeout(() => this.#checkSkew(), SKEW_CHECK_MS);
  }

  async #query<R extends unknown[]>(text: string, values: unknown[], name?: string): Promise<R[]> {
    if (this.#closed) throw new ModelwatchError('Stopped', 'state is closed');
    const res = await this.#pool.query<R>({ text, values, rowMode: 'array', ...(name === undefined ? {} : { name }) });
    return res.rows;
  }

  async #transaction(fn: (client: PoolClient) => Promise<void>): Promise<void> {
    if (this.#closed) throw new ModelwatchError('Stopped', 'state is closed');
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await fn(client);
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }
}
