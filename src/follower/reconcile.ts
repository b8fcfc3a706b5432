// The follower's view diff as a pure function: from the view (identity → version last delivered)
// and one event, the callbacks to deliver, in delivery order (spec/follower.md §3.2). Delivery is
// left to watch-entities.ts, which commits each call to the view with applyCall as it delivers it.
import type { Delta, EntityId, EntityInfo } from '../core/index.js';
import { compareEntityIds } from '../core/index.js';
import { EntityMap } from './entity-map.js';
import type { WatchEvent } from './watch-event.js';

/** One callback to deliver. */
export type FollowerCall =
  | { readonly type: 'new'; readonly next: EntityInfo }
  | { readonly type: 'updated'; readonly prev: EntityInfo; readonly next: EntityInfo }
  | { readonly type: 'deleted'; readonly prev: EntityInfo };

/** Identity → the version last delivered through onNew/onUpdated, for exactly the entities in the view. */
export type FollowerView = EntityMap<EntityInfo>;

/** The two pure judgements a follower makes. */
export interface FollowerJudge {
  filter(e: EntityInfo): boolean;
  equals(a: EntityInfo, b: EntityInfo): boolean;
}

/** One key an event mentions: origin's info there after the event (undefined: absent). */
export interface OriginEntry {
  readonly id: EntityId;
  readonly info: EntityInfo | undefined;
}

/**
 * Step 1 of §3.2, restricted to the keys the event mentions, in ascending key order, one entry per
 * key: upserts applied in array order (a later entry wins), then tombstones. The reconcile table
 * reads origin only at those keys, and there origin's new value is decided by the event alone, so
 * this slice is all of origin a batch needs: the follower keeps no full mirror (memory O(view)).
 * Sorting the entries (stable, entities before tombstones) both merges the entries of a key and
 * gives the delivery order, without building a string key per entry. O(m log m) for m entries.
 */
export function originSlice(event: WatchEvent): OriginEntry[] {
  const { entities, tombstones } = event;
  const count = entities.length;
  const n = count + tombstones.length;
  const at = (i: number): EntityId => (i < count ? entities[i] : tombstones[i - count]) as EntityId;
  const order: number[] = [];
  for (let i = 0; i < n; i++) order.push(i);
  if (n > 1) order.sort((a, b) => compareEntityIds(at(a), at(b)) || a - b);
  const slice: OriginEntry[] = [];
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    const next = order[k + 1];
    // The last entry of a run of one key decides: a tombstone if any (they sort after upserts).
    if (next !== undefined && sameKey(at(i), at(next))) continue;
    slice.push(i < count ? { id: at(i), info: entities[i] } : { id: at(i), info: undefined });
  }
  return slice;
}

/**
 * Steps 2 and 3 of §3.2: the calls one event yields against `view`, in delivery order — onNew and
 * onUpdated interleaved in ascending key order, then onDeleted in ascending key order. Pure: `view`
 * is not modified. `filter` sees incoming versions only, `equals` only (lastDelivered, incoming),
 * each at most once per mentioned key, so the cost is O(m log m) for an event of m keys.
 */
export function reconcile(view: FollowerView, event: WatchEvent, judge: FollowerJudge): FollowerCall[] {
  const { entities, tombstones } = event;
  // The common event of one change, without sorting: same table, same result.
  if (entities.length + tombstones.length === 1) {
    const info = entities[0];
    const id = info ?? tombstones[0];
    const call = id === undefined ? undefined : reconcileOne(view, id, info, judge);
    return call === undefined ? [] : [call];
  }
  const upserts: FollowerCall[] = [];
  let deletions: FollowerCall[] | undefined;
  for (const { id, info } of originSlice(event)) {
    const call = reconcileOne(view, id, info, judge);
    if (call === undefined) continue;
    if (call.type === 'deleted') (deletions ??= []).push(call);
    else upserts.push(call);
  }
  if (deletions !== undefined) for (const call of deletions) upserts.push(call);
  return upserts;
}

/**
 * reconcile() of the event fromWatcher maps a batch of deltas to (changes as entities, removals as
 * tombstones, both in batch order), without building it: the same calls in the same order. Sorting
 * by key, then changes before removals, then batch order puts each key's entries as the event
 * would, so the last entry of a key decides as in originSlice. O(m log m) for m deltas.
 */
export function reconcileDeltas(view: FollowerView, batch: readonly Delta[], judge: FollowerJudge): FollowerCall[] {
  const sorted = sortedDeltas(batch);
  const n = sorted.length;
  const upserts: FollowerCall[] = [];
  let deletions: FollowerCall[] | undefined;
  for (let k = 0; k < n; k++) {
    const d = sorted[k] as Delta;
    const next = sorted[k + 1];
    if (next !== undefined && sameKey(d.entity, next.entity)) continue; // the last entry of a key decides
    const call = reconcileDelta(view, d, judge);
    if (call === undefined) continue;
    if (call.type === 'deleted') (deletions ??= []).push(call);
    else upserts.push(call);
  }
  if (deletions !== undefined) for (const call of deletions) upserts.push(call);
  return upserts;
}

/** Batches up to this size are sorted by insertion (no comparator calls through Array.prototype.sort). */
const INSERTION_SORT_MAX = 32;

/**
 * The batch in reconcile order: by key, then changes before removals, then batch order (stable).
 * A model watcher's batch is all one model, usually one kind: then only the ids are compared.
 */
function sortedDeltas(batch: readonly Delta[]): Delta[] {
  const out = batch.slice();
  const n = out.length;
  if (n < 2) return out;
  const byId = oneScope(batch);
  const cmp = (a: Delta, b: Delta): number =>
    (byId ? compareStrings(a.entity.id, b.entity.id) : compareEntityIds(a.entity, b.entity)) || (a.removed === b.removed ? 0 : a.removed ? 1 : -1);
  if (n > INSERTION_SORT_MAX) return out.sort(cmp); // stable: ties keep batch order
  for (let i = 1; i < n; i++) {
    const d = out[i] as Delta;
    let j = i - 1;
    while (j >= 0 && cmp(out[j] as Delta, d) > 0) {
      out[j + 1] = out[j] as Delta;
      j--;
    }
    out[j + 1] = d;
  }
  return out;
}

/**
 * One row of the table of §3.2 for the key of `id`, with `info` = origin there after the event
 * (undefined: tombstoned); only the identity of `id` is read. For an event of one entry, this is reconcile().
 */
function reconcileOne(view: FollowerView, id: EntityId, info: EntityInfo | undefined, judge: FollowerJudge): FollowerCall | undefined {
  const delivered = view.get(id);
  if (info !== undefined && judge.filter(info)) {
    if (delivered === undefined) return { type: 'new', next: info };
    if (!judge.equals(delivered, info)) return { type: 'updated', prev: delivered, next: info };
    return undefined; // suppressed: the view keeps the version last delivered, so small changes cannot drift
  }
  return delivered === undefined ? undefined : { type: 'deleted', prev: delivered };
}

/** reconcileOne for one delta of a watcher's batch: a change is origin's info there, a removal its absence. */
export function reconcileDelta(view: FollowerView, d: Delta, judge: FollowerJudge): FollowerCall | undefined {
  return reconcileOne(view, d.entity, d.removed ? undefined : d.entity, judge);
}

/** Commits one call to the view: new/updated store the delivered version, deleted removes the key. */
export function applyCall(view: FollowerView, call: FollowerCall): void {
  if (call.type === 'deleted') view.delete(call.prev);
  else view.set(call.next, call.next);
}

/** The entity a call is about (every call names one). */
export function callEntity(call: FollowerCall): EntityInfo {
  return call.type === 'deleted' ? call.prev : call.next;
}

/** A new, empty view. */
export function emptyView(): FollowerView {
  return new EntityMap<EntityInfo>();
}

/** True when every delta has the first one's kind and modelUUID. */
function oneScope(batch: readonly Delta[]): boolean {
  const first = (batch[0] as Delta).entity;
  for (let i = 1; i < batch.length; i++) {
    const e = (batch[i] as Delta).entity;
    if (e.modelUUID !== first.modelUUID || e.kind !== first.kind) return false;
  }
  return true;
}

/** compareEntityIds' order on one part (UTF-16 code units). */
function compareStrings(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

function sameKey(a: EntityId, b: EntityId): boolean {
  return a.id === b.id && a.modelUUID === b.modelUUID && a.kind === b.kind;
}
