// The HookSource contract shared by the live, dying and list sources, and the never-ending change
// stream of the static ones (upstream's nil channel).
import type { HookInfo, RelationUnitsChange } from './hook.js';

/**
 * A generator of hooks in the order the charm may rely on. One owner, not re-entrant: it calls
 * `changes()` once and feeds each change to `update` in order; `next()`/`empty()` hold until the
 * next `update` or `pop`.
 */
export interface HookSource {
  changes(): AsyncIterable<RelationUnitsChange>;
  /** Applies a change to the schedule. @throws for a malformed change or a static source. */
  update(change: RelationUnitsChange): void;
  empty(): boolean;
  /** The hook to run now, a fresh object. @throws `HookSource is empty`. */
  next(): HookInfo;
  /** Drops the hook `next()` offered, once it was delivered. @throws `HookSource is empty`. */
  pop(): void;
  stop(): Promise<void>;
}

/**
 * A stream that yields nothing and never completes until its iterator's `return()`, which
 * resolves at once and ends pending `next()` calls with `done`, so nothing dangles.
 */
export function silentChanges(): AsyncIterable<RelationUnitsChange> {
  let ended = false;
  const waiting: ((r: IteratorResult<RelationUnitsChange>) => void)[] = [];
  const done: IteratorResult<RelationUnitsChange> = { done: true, value: undefined };
  const iterator: AsyncIterator<RelationUnitsChange> = {
    next: () => (ended ? Promise.resolve(done) : new Promise((resolve) => waiting.push(resolve))),
    return: () => {
      ended = true;
      for (const resolve of waiting.splice(0)) resolve(done);
      return Promise.resolve(done);
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}
