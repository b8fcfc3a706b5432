// The alive rule (spec §4.3 step 4) as a pure reducer: (state, window read) → (next state,
// transitions). The watcher owns the I/O, the clock and the listeners; this file owns the rule.
import { decodeMasks } from './sequence.js';
import type { Change, PingMasks } from './store.js';

/** What a watcher knows after a read: the keys alive at that read. */
export interface PresenceState {
  readonly alive: ReadonlySet<string>;
}

/** The empty state before the first read: every key dead. */
export const initialPresenceState: PresenceState = { alive: new Set<string>() };

/** The window of one read, decoded: seqs with an alive bit and seqs with a dead bit. */
export interface WindowRead {
  readonly aliveSeqs: readonly number[];
  readonly deadSeqs: ReadonlySet<number>;
  /** seq → key for the seqs that have a being; a seq missing here is unowned and ignored. */
  readonly beings: ReadonlyMap<number, string>;
}

/** ORs the masks of every row per field key, then decodes: A and D of spec §4.3 step 2. */
export function decodeWindow(rows: readonly PingMasks[]): { aliveSeqs: number[]; deadSeqs: Set<number> } {
  const alive = new Map<string, bigint>();
  const dead = new Map<string, bigint>();
  for (const r of rows) {
    if (r.alive !== 0n) alive.set(r.fieldKey, (alive.get(r.fieldKey) ?? 0n) | r.alive);
    if (r.dead !== 0n) dead.set(r.fieldKey, (dead.get(r.fieldKey) ?? 0n) | r.dead);
  }
  return { aliveSeqs: decodeMasks(alive), deadSeqs: new Set(decodeMasks(dead)) };
}

/**
 * Applies one read. A key k is alive iff newest(k) = max{seq ∈ A : key(seq) = k} exists and is not
 * in D; every other key is dead. Returns the transitions only, in ascending key order.
 * Differs from Juju: Juju re-reported dead/alive pairs on every read when an older pinger of a
 * killed key still pinged; here only a change of the newest seq's verdict is a transition.
 */
export function applyRead(state: PresenceState, read: WindowRead): { next: PresenceState; transitions: Change[] } {
  const newest = new Map<string, number>();
  for (const seq of read.aliveSeqs) {
    const key = read.beings.get(seq);
    if (key === undefined) continue;
    const prev = newest.get(key);
    if (prev === undefined || seq > prev) newest.set(key, seq);
  }
  const alive = new Set<string>();
  for (const [key, seq] of newest) if (!read.deadSeqs.has(seq)) alive.add(key);
  const transitions: Change[] = [];
  for (const key of alive) if (!state.alive.has(key)) transitions.push({ key, alive: true });
  for (const key of state.alive) if (!alive.has(key)) transitions.push({ key, alive: false });
  transitions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { next: { alive }, transitions };
}
