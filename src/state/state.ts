// The State contract (spec/state.md, binding): entities, a gap-free change log with global
// revisions, and the backing that feeds the multiwatcher. Backends live in sqlite/ and postgres/;
// this file holds only the shapes every caller sees.
import type { AllWatcherBacking, Clock, EntityId, EntityInfo, Logger } from '../core/index.js';
import type { Registry } from 'prom-client';
import type { UserStore } from './users/index.js';
import type { PresenceStore } from '../presence/index.js';

/** One operation of a transaction: write an entity, or remove one (a model removes its entities). */
export type StateOp = { op: 'update'; entity: EntityInfo } | { op: 'remove'; id: EntityId };

/** One change-log row: the entity changed at `rev`; `removed` when the change removed it. */
export interface ChangeRecord extends EntityId {
  rev: number;
  removed: boolean;
}

/** Largest page State.listPage returns. */
export const MAX_PAGE_LIMIT = 10_000;

/** What State.listPage reads: one model, optionally some kinds, after a (kind, id), at most `limit`. */
export interface ListPageQuery {
  modelUUID: string;
  kinds?: readonly string[];
  after?: { kind: string; id: string };
  limit: number;
}

/** A page of State.listPage. */
export interface ListPage {
  entities: EntityInfo[];
  more: boolean;
}

/** The state store: the only component that touches the database. */
export interface State {
  readonly backend: 'sqlite' | 'postgres';
  /**
   * Applies every op in ONE transaction and resolves with the revision it committed at, or with the
   * current revision when nothing changed (no revision consumed).
   * @throws ModelwatchError NotValid (naming the field) for bad input; nothing is written.
   */
  apply(ops: StateOp[]): Promise<number>;
  /** `apply([{ op: 'update', entity }])`. */
  update(entity: EntityInfo): Promise<number>;
  /** `apply([{ op: 'remove', id }])`; removing a model removes all its entities in the same revision. */
  remove(id: EntityId): Promise<number>;
  /** The stored entity, or undefined. */
  get(id: EntityId): Promise<EntityInfo | undefined>;
  /** Live entities, optionally of one model and/or kind, ordered by (modelUUID, kind, id). */
  list(filter?: { modelUUID?: string; kind?: string }): Promise<EntityInfo[]>;
  /**
   * One page of a model's live entities, ordered by (kind, id) in Unicode code point order (the
   * UTF-8 byte order both databases index by), starting after `after` (exclusive), at most
   * `limit` (1 to MAX_PAGE_LIMIT). The database does the paging: memory is O(limit), whatever
   * the model's size. `more` is true when entities follow the page.
   * @throws ModelwatchError NotValid (naming the field) for a bad query.
   */
  listPage(query: ListPageQuery): Promise<ListPage>;
  /** Latest committed revision visible to readers (every revision at or below it is final). */
  revision(): Promise<number>;
  /**
   * Change rows with revision > rev, ascending. `limit` (default 10,000) is a soft bound: a batch
   * ends on a revision boundary, so one revision is never split (a single larger one is returned whole).
   * @throws ModelwatchError ResyncRequired when rev is below the retention window.
   */
  changesSince(rev: number, limit?: number): Promise<ChangeRecord[]>;
  /** A new backing with its own position: getAll snapshot at R, then every change after R. */
  allWatcherBacking(): AllWatcherBacking;
  /** Extension (api/auth): users, model access and agent credentials on this database. */
  users(): UserStore;
  /** The presence tables of this database as a PresenceStore (spec/presence.md); lives as long as the State. */
  presenceStore(): PresenceStore;
  /** Stops background work and closes the database. Idempotent. */
  close(): Promise<void>;
}

/** How much change history is kept: at least `ms` of time and `revisions` revisions, whichever is more. */
export interface Retention {
  /** Milliseconds of history kept (default 10 minutes). */
  ms?: number;
  /** Revisions of history kept (default 1,000,000). */
  revisions?: number;
}

/** Options of openState; every field optional. */
export interface OpenStateOptions {
  /** Source of time for change timestamps, compaction and back-off (default SystemClock). */
  clock?: Clock;
  logger?: Logger;
  retention?: Retention;
  /** Extension: prom-client registry for `modelwatch_state_*` metrics (default: none registered). */
  registry?: Registry;
}
