// A promise with its resolve/reject exposed, for hand-written async state machines.

/** A promise plus the functions that settle it. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

/**
 * Creates a Deferred. The promise gets a no-op rejection handler, so a rejection nobody awaits
 * is not reported as unhandled (owners that must surface it await `promise`).
 */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
