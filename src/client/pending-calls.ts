// Request bookkeeping for one connection: request ids, the calls waiting for their response, and
// failing every waiting call exactly once when the connection ends (node-postgres' rule).
import { ClientError, ConnectionLostError } from './client-error.js';
import type { ResponseFrame } from './frame-codec.js';

interface Waiting {
  resolve(response: Record<string, unknown>): void;
  reject(err: Error): void;
  /** Removes the abort listener; called once the call settles. */
  detach(): void;
}

/** Calls in flight on one connection, keyed by request id. Ids start at 1 and are never reused. */
export class PendingCalls {
  #nextId = 1;
  readonly #waiting = new Map<number, Waiting>();
  /** Set once the connection ended; every later call fails with it at once. */
  #ended: Error | undefined;

  /** Number of calls waiting for a response. */
  get size(): number {
    return this.#waiting.size;
  }

  /**
   * Registers a call and returns its request id and the promise of its response. An aborted signal
   * rejects the promise with the signal's reason and forgets the id (a late response is dropped).
   */
  start(signal?: AbortSignal): { requestId: number; response: Promise<Record<string, unknown>> } {
    const requestId = this.#nextId++;
    if (this.#ended !== undefined) return { requestId, response: Promise.reject(this.#ended) };
    if (signal?.aborted === true) return { requestId, response: Promise.reject(abortReason(signal)) };
    const response = new Promise<Record<string, unknown>>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.#waiting.delete(requestId)) reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.set(requestId, {
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      });
    });
    return { requestId, response };
  }

  /** Settles the call a frame answers. False when no call waits for that id (late or unroutable). */
  settle(frame: ResponseFrame): boolean {
    const w = this.#waiting.get(frame.requestId);
    if (w === undefined) return false;
    this.#waiting.delete(frame.requestId);
    w.detach();
    if (frame.ok) w.resolve(frame.response);
    else w.reject(frame.error);
    return true;
  }

  /** Fails one call (e.g. its frame could not be sent). */
  fail(requestId: number, err: Error): void {
    const w = this.#waiting.get(requestId);
    if (w === undefined) return;
    this.#waiting.delete(requestId);
    w.detach();
    w.reject(err);
  }

  /** The connection ended: fails every waiting call once with `err`, and every later call. */
  end(err: Error): void {
    if (this.#ended !== undefined) return;
    this.#ended = err;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) {
      w.detach();
      w.reject(err);
    }
  }

  /** The error the connection ended with, if it has. */
  get ended(): Error | undefined {
    return this.#ended;
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new ClientError('Stopped', 'call aborted');
}

/** The error every waiting call gets when a socket closes. */
export function connectionClosed(detail: string): ConnectionLostError {
  return new ConnectionLostError(`connection closed: ${detail}`);
}
