// The follower's view diff as a pure function: from the view (key → version last delivered) and one
// event, the callbacks to deliver, in delivery order (spec/follower.md §3.2). Delivery is left to
// watch-entities.ts, which commits each call to the view with applyCall as it delivers it.
import type { EntityId, EntityInfo } from '../core/index.js';
import { compareEntityIds, entityKey } from '../core/index.js';
import type { WatchEvent } from './watch-event.js';
import { KeyedWatchEvent } from './watch-event.js';

/** One callback to deliver; `key` is the entity's entityKey. */
export type FollowerCall =
  | { readonly type: 'new'; readonly key: string; readonly next: EntityInfo }
  | { readonly type: 'updated'; readonly key: string; readonly prev: EntityInfo; readonly next: EntityInfo }
  | { readonly type: 'deleted'; readonly key: string; readonly prev: EntityInfo };

/** key → the version last delivered through onNew/onUpdated, for exactly the keys in the view. */
export type FollowerView = Map<string, EntityInfo>;

/** The two pure judgements a follower makes. */
export interface FollowerJudge {
  filter(e: EntityInfo): boolean;
  equals(a: EntityInfo, b: EntityInfo): boolean;
}

/**
 * Step 1 of §3.2, restricted to the keys the event mentions: key → origin's info after the event
 * (undefined: absent), upserts applied in array order (a later entry wins), then tombstones. The
 * reconcile table reads origin only at those keys, and there origin's new value is decided by the
 * event alone, so this slice is all of origin a batch needs: the follower keeps no full mirror
 * (memory O(view), not O(source)).
 */
export function originSlice(event: WatchEvent): Map<string, EntityInfo | undefined> {
  const slice = new Map<string, EntityInfo | undefined>();
  if (!(event instanceof KeyedWatchEvent)) {
    for (const info of event.entities) slice.set(entityKey(info), info);
    for (const id of event.tombstones) slice.set(entityKey(id), undefined);
    return slice;
  }
  let index = 0;
  for (const info of event.entities) slice.set(keyOf(event, index++, info), info);
  for (const id of event.tombstones) slice.set(keyOf(event, index++, id), undefined);
  return slice;
}

/** The key of the event's entry at `index` (entities then tombstones): the source's, or built. */
function keyOf(event: WatchEvent, index: number, id: EntityId): string {
  return KeyedWatchEvent.keyAt(event, index, id) ?? entityKey(id);
}

/**
 * Steps 2 and 3 of §3.2: the calls one event yields against `view`, in delivery order — onNew and
 * onUpdated interleaved in ascending key order, then onDeleted in ascending key order. Pure: `view`
 * is not modified. `filter` sees incoming versions only, `equals` only (lastDelivered, incoming),
 * each at most once per mentioned key, so the cost is O(m log m) for an event of m keys.
 */
export function reconcile(view: ReadonlyMap<string, EntityInfo>, event: WatchEvent, judge: FollowerJudge): FollowerCall[] {
  const { entities, tombstones } = event;
  // The common event of one change, without the slice map: same table, same result.
  if (entities.length + tombstones.length === 1) {
    const info = entities[0];
    const id = info ?? tombstones[0];
    const call = id === undefined ? undefined : reconcileAt(view, keyOf(event, 0, id), info, judge);
    return call === undefined ? [] : [call];
  }
  const upserts: FollowerCall[] = [];
  const deletions: FollowerCall[] = [];
  for (const [key, info] of originSlice(event)) {
    const call = reconcileAt(view, key, info, judge);
    if (call === undefined) continue;
    if (call.type === 'deleted') deletions.push(call);
    else upserts.push(call);
  }
  if (upserts.length > 1) upserts.sort(byKeyOrder);
  if (deletions.length > 1) deletions.sort(byKeyOrder);
  return deletions.length === 0 ? upserts : upserts.concat(deletions);
}

/** One row of the table of §3.2 for key K, with `info` = origin[K] after the event. */
function reconcileAt(view: ReadonlyMap<string, EntityInfo>, key: string, info: EntityInfo | undefined, judge: FollowerJudge): FollowerCall | undefined {
  const delivered = view.get(key);
  if (info !== undefined && judge.filter(info)) {
    if (delivered === undefined) return { type: 'new', key, next: info };
    if (!judge.equals(delivered, info)) return { type: 'updated', key, prev: delivered, next: info };
    return undefined; // suppressed: the view keeps the version last delivered, so small changes cannot drift
  }
  return delivered === undefined ? undefined : { type: 'deleted', key, prev: delivered };
}

/** Commits one call to the view: new/updated store the delivered version, deleted removes the key. */
export function applyCall(view: FollowerView, call: FollowerCall): void {
  if (call.type === 'deleted') view.delete(call.key);
  else view.set(call.key, call.next);
}

/** The entity a call is about (every call names one). */
export function callEntity(call: FollowerCall): EntityInfo {
  return call.type === 'deleted' ? call.prev : call.next;
}

function byKeyOrder(a: FollowerCall, b: FollowerCall): number {
  return compareEntityIds(callEntity(a), callEntity(b));
}
