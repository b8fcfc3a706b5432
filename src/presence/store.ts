// The storage seam of presence (spec §2, §3.6): what the memory, SQLite and PostgreSQL backends
// implement. Callers treat a store as opaque; the components in this module drive it.

/** An alive/dead transition of a key. */
export interface Change {
  key: string;
  alive: boolean;
}

/** Where a Pinger sends its pings: a PingBatcher, or a direct write to the store. */
export interface PingRecorder {
  ping(modelUUID: string, slot: number, fieldKey: string, fieldBit: bigint): Promise<void>;
}

/** One slot of one model as a document: masks keyed by field key (Juju's ping document). */
export interface PingDoc {
  slot: number;
  alive: Record<string, bigint>;
  dead: Record<string, bigint>;
}

/** One OR-upsert: row (modelUUID, slot, fieldKey) gets `alive |= alive, dead |= dead`. */
export interface PingRow {
  readonly modelUUID: string;
  /** Unix seconds of the slot start. */
  readonly slot: number;
  readonly fieldKey: string;
  readonly alive: bigint;
  readonly dead: bigint;
}

/** Masks of one stored row, as read back. */
export interface PingMasks {
  readonly slot: number;
  readonly fieldKey: string;
  readonly alive: bigint;
  readonly dead: bigint;
}

/** A sequence and the key it was allocated for. */
export interface Being {
  readonly seq: number;
  readonly key: string;
}

/** Called when the doorbell rings for a model (`*`: several models). */
export type RingListener = (modelUUID: string) => void;

/**
 * Storage of seqs, beings and pings. The first four methods are the binding read-only inspection
 * API; the rest is the shape of spec §3.6 that the presence components use.
 */
export interface PresenceStore {
  /** The model's masks for one slot (seconds, as PingRecorder.ping receives it); undefined if none. */
  pingDoc(modelUUID: string, slot: number): Promise<PingDoc | undefined>;
  /**
   * Documents of a kind, of one model or (no model) all: 'pings' counts (model, slot) pairs, as
   * Juju's one document per slot; 'beings' counts sequences; 'seqs' counts counters (0 or 1 a model).
   */
  countDocs(kind: 'pings' | 'beings' | 'seqs', modelUUID?: string): Promise<number>;
  /** The key a sequence was allocated for, or undefined (never allocated, or pruned). */
  beingKey(modelUUID: string, seq: number): Promise<string | undefined>;
  /** Sequences allocated so far; 0 when none or after removal. */
  lastSeq(modelUUID: string): Promise<number>;

  /** Allocates the model's next seq (the first is 1) and records its being, atomically. */
  allocate(modelUUID: string, key: string): Promise<number>;
  /** OR-upserts every row in one transaction (rows may span models and slots). */
  upsertPings(rows: readonly PingRow[]): Promise<void>;
  /** The model's rows in the given slots, or in every slot when `slots` is omitted. */
  readPings(modelUUID: string, slots?: readonly number[]): Promise<PingMasks[]>;
  /** Keys of the given seqs that have a being (at most 1000 seqs a call is the callers' habit). */
  lookupBeings(modelUUID: string, seqs: readonly number[]): Promise<Map<number, string>>;
  /** Deletes the model's rows with slot < `slot`; returns how many rows went. */
  deletePingsBefore(modelUUID: string, slot: number): Promise<number>;
  /** Every being of the model. */
  beingsOf(modelUUID: string): Promise<Being[]>;
  /** Deletes the given beings; returns how many went. */
  deleteBeings(modelUUID: string, seqs: readonly number[]): Promise<number>;
  /** Deletes every ping, being and counter of the model in one transaction; idempotent. */
  removeModel(modelUUID: string): Promise<void>;
  /** Rings the doorbell for the model: watchers of it re-read soon (PostgreSQL: NOTIFY, coalesced). */
  ring(modelUUID: string): void;
  /** Subscribes to doorbell rings; returns the unsubscribe function. */
  onRing(listener: RingListener): () => void;
}
