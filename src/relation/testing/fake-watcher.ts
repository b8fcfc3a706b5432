// An in-memory RelationUnitsWatcher driven by hand, for tests of sources, senders and agents.
import { deferred } from '../../core/index.js';
import type { Deferred } from '../../core/index.js';
import type { RelationUnitsChange, RelationUnitsWatcher } from '../hook.js';

const DONE: IteratorResult<RelationUnitsChange> = { done: true, value: undefined };

function copyChange(change: RelationUnitsChange): RelationUnitsChange {
  const changed: Record<string, { version: number }> = {};
  for (const [unit, settings] of Object.entries(change.changed)) changed[unit] = { version: settings.version };
  return { changed, departed: [...change.departed] };
}

/**
 * A watcher whose changes are whatever the test `send`s, in order. `fail(err)` makes the iteration
 * throw once the queued changes were taken; `close()` ends it without error (a watcher contract
 * breach the sender must notice); `stop()` ends it and counts calls.
 */
export class FakeRelationUnitsWatcher implements RelationUnitsWatcher {
  /** Sent and not yet taken, oldest first. */
  readonly #queue: RelationUnitsChange[] = [];
  #waiter: Deferred<IteratorResult<RelationUnitsChange>> | undefined;
  /** How the iteration ends once the queue is drained: not yet, cleanly, or with an error. */
  #end: { type: 'open' } | { type: 'done' } | { type: 'error'; error: Error } = { type: 'open' };
  #err: Error | undefined;
  #stopError: Error | undefined;
  #stopCalls = 0;
  #iterators = 0;

  /** Queues a copy of `change` for the consumer. Ignored after the stream ended. */
  send(change: RelationUnitsChange): void {
    if (this.#end.type !== 'open') return;
    this.#queue.push(copyChange(change));
    this.#flush();
  }

  /** The iteration throws `error` after the queued changes; `err()` returns it. */
  fail(error: Error): void {
    if (this.#end.type !== 'open') return;
    this.#err = error;
    this.#end = { type: 'error', error };
    this.#flush();
  }

  /** The iteration completes without error after the queued changes. */
  close(): void {
    if (this.#end.type !== 'open') return;
    this.#end = { type: 'done' };
    this.#flush();
  }

  /** Makes `stop()` reject with `error` (as a watcher that died reports its error on stop). */
  failStopWith(error: Error): void {
    this.#stopError = error;
  }

  /** Changes sent and not yet taken by the consumer. */
  get pending(): number {
    return this.#queue.length;
  }

  get stopCalls(): number {
    return this.#stopCalls;
  }

  /** How many times `changes()` was iterated (a source must do it once). */
  get iterations(): number {
    return this.#iterators;
  }

  changes(): AsyncIterable<RelationUnitsChange> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<RelationUnitsChange> => {
        this.#iterators++;
        return {
          next: () => this.#next(),
          return: () => Promise.resolve(DONE),
        };
      },
    };
  }

  stop(): Promise<void> {
    this.#stopCalls++;
    if (this.#end.type === 'open') this.#end = { type: 'done' };
    this.#queue.length = 0;
    this.#flush();
    return this.#stopError === undefined ? Promise.resolve() : Promise.reject(this.#stopError);
  }

  err(): Error | undefined {
    return this.#err;
  }

  #next(): Promise<IteratorResult<RelationUnitsChange>> {
    const head = this.#queue.shift();
    if (head !== undefined) return Promise.resolve({ done: false, value: head });
    if (this.#end.type === 'done') return Promise.resolve(DONE);
    if (this.#end.type === 'error') {
      const { error } = this.#end;
      this.#end = { type: 'done' };
      return Promise.reject(error);
    }
    this.#waiter ??= deferred();
    return this.#waiter.promise;
  }

  #flush(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    this.#waiter = undefined;
    this.#next().then((r) => waiter.resolve(r), (err: unknown) => waiter.reject(err));
  }
}
