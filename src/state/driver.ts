// The seam between the backend-neutral store (state-store.ts) and a database backend. Each backend
// writes a validated WritePlan in one transaction and reads entities and the change log; validation,
// compaction scheduling, metrics and backings live above this line, so behaviour is the same on both.
import type { EntityId, EntityInfo } from '../core/index.js';
import type { WritePlan } from './plan.js';
import type { ChangeRecord, ListPageQuery } from './state.js';
import type { UserStore } from './users/index.js';
import type { PresenceStore } from '../presence/index.js';

/** A change row as stored: the record plus its commit time (epoch ms, from the writer's Clock). */
export interface StoredChange extends ChangeRecord {
  at: number;
}

/** Outcome of a write: the revision committed at (or the current one) and the rows it logged. */
export interface WriteResult {
  rev: number;
  /** Empty when nothing changed and no revision was consumed. */
  changes: readonly StoredChange[];
}

/** Rows after a revision, read before the compaction floor so a concurrent compaction is never missed. */
export interface ChangeRead {
  rows: StoredChange[];
  /** Highest compacted revision when the rows were read: rows start at floor + 1. */
  floor: number;
}

/** Every entity in one consistent snapshot, with the revision it is complete at. */
export interface Snapshot {
  rev: number;
  entities: EntityInfo[];
}

/** A doorbell ring: `rev` when known; `changes` only when they are the exact rows of `rev`. */
export interface Ring {
  rev?: number;
  changes?: readonly StoredChange[];
}

/** What one compaction round should delete. */
export interface CompactRequest {
  /** Keep every revision newer than this many below the latest. */
  keepRevisions: number;
  /** Keep every change logged at or after this time (epoch ms). */
  keepSinceMs: number;
  /** Delete at most this many revisions in this round. */
  maxRevisions: number;
}

/** Result of a compaction round. */
export interface CompactResult {
  floor: number;
  /** True when the round stopped at maxRevisions and more may be eligible. */
  more: boolean;
}

/** A database backend. Methods may be called concurrently; each is atomic on its own. */
export interface StateDriver {
  readonly backend: 'sqlite' | 'postgres';
  write(plan: WritePlan, atMs: number): Promise<WriteResult>;
  revision(): Promise<number>;
  get(id: EntityId): Promise<EntityInfo | undefined>;
  list(filter: { modelUUID?: string; kind?: string }): Promise<EntityInfo[]>;
  /** One page of a model's entities in (kind, id) code point order; see State.listPage. The query is valid, kinds distinct. */
  listPage(query: ListPageQuery): Promise<EntityInfo[]>;
  readChanges(afterRev: number, limitRows: number): Promise<ChangeRead>;
  /** All rows of one revision (used when a revision alone exceeds a batch). */
  readRevision(rev: number): Promise<StoredChange[]>;
  snapshot(): Promise<Snapshot>;
  compact(request: CompactRequest): Promise<CompactResult>;
  /** Registers for rings after commits (and, on PostgreSQL, NOTIFYs); returns the unsubscribe. */
  subscribe(onRing: (ring: Ring) => void): () => void;
  report(): Record<string, unknown>;
  /** The presence store on this database (created on first use, closed with the driver). */
  presenceStore(): PresenceStore;
  /** Users, grants and agent credentials on this database (one instance per driver). */
  userStore(): UserStore;
  close(): Promise<void>;
}
