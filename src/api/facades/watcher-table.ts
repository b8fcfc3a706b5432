// A connection's watchers (spec/protocol.md §5.1, §5.3): decimal ids unique on the connection and
// never reused, a live-watcher limit, exact errors for stopped and unknown ids, and stop-all on close.
import type { MethodResult } from '../rpc/envelope.js';
import { rpcErrors } from '../rpc/rpc-error.js';

/** A watcher as the RPC layer drives it: one `Next` result at a time, idempotent `Stop`. */
export interface RpcWatcher {
  /** The next result; rejects "watcher was stopped" after stop. */
  next(): Promise<MethodResult>;
  stop(): Promise<void>;
}

/** Options of a WatcherTable. */
export interface WatcherTableOptions {
  /** Live watchers allowed (spec §2.3: 100). */
  maxWatchers: number;
  /** Called with +1 / -1 as watchers start and stop (the watchers gauge), with the watcher's facade. */
  onCountChange?: (delta: number, facade: string) => void;
}

interface Entry {
  readonly facade: string;
  readonly watcher: RpcWatcher;
}

/** Stopped ids remembered with their facade; older ones are still known as stopped (id ≤ last issued). */
const MAX_REMEMBERED_STOPPED = 1000;

/** See the file comment. */
export class WatcherTable {
  readonly #maxWatchers: number;
  readonly #onCountChange: (delta: number, facade: string) => void;
  readonly #live = new Map<string, Entry>();
  /** Stopped ids → facade, oldest first, at most MAX_REMEMBERED_STOPPED. */
  readonly #stopped = new Map<string, string>();
  #lastId = 0;
  #closed = false;

  constructor(opts: WatcherTableOptions) {
    this.#maxWatchers = opts.maxWatchers;
    this.#onCountChange = opts.onCountChange ?? (() => undefined);
  }

  /** Live watchers. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * Throws `too many watchers (limit N)` when the table is full, so callers check before creating
   * anything; `watcher was stopped` after close.
   */
  reserve(): void {
    if (this.#closed) throw rpcErrors.watcherStopped();
    if (this.#live.size >= this.#maxWatchers) throw rpcErrors.tooManyWatchers(this.#maxWatchers);
  }

  /**
   * Registers a watcher of `facade` and returns its id. Checks the limit again (a watcher created
   * across an await); on failure the watcher is stopped and the error thrown.
   */
  add(facade: string, watcher: RpcWatcher): string {
    try {
      this.reserve();
    } catch (err) {
      void watcher.stop();
      throw err;
    }
    const id = String(++this.#lastId);
    this.#live.set(id, { facade, watcher });
    this.#onCountChange(1, facade);
    return id;
  }

  /**
   * The live watcher `id` of `facade`.
   * @throws RpcError `watcher was stopped` for a stopped one, `unknown watcher id` for one never
   *   issued here or issued by another facade.
   */
  get(facade: string, id: string): RpcWatcher {
    const entry = this.#live.get(id);
    if (entry !== undefined) {
      if (entry.facade !== facade) throw rpcErrors.unknownWatcher();
      return entry.watcher;
    }
    const stoppedFacade = this.#stopped.get(id);
    if (stoppedFacade !== undefined) {
      if (stoppedFacade !== facade) throw rpcErrors.unknownWatcher();
      throw rpcErrors.watcherStopped();
    }
    if (this.#wasIssued(id)) throw rpcErrors.watcherStopped(); // stopped long ago, facade forgotten
    throw rpcErrors.unknownWatcher();
  }

  /** Stops watcher `id` of `facade`; `{}` again for a stopped one (idempotent). Same errors as get. */
  async stop(facade: string, id: string): Promise<void> {
    const entry = this.#live.get(id);
    if (entry === undefined) {
      try {
        this.get(facade, id);
      } catch (err) {
        if (err instanceof Error && err.message === rpcErrors.watcherStopped().message) return;
        throw err;
      }
      return;
    }
    if (entry.facade !== facade) throw rpcErrors.unknownWatcher();
    this.#retire(id, entry);
    await entry.watcher.stop();
  }

  /**
   * Frees the slot of a watcher the server stopped (backing failure); its id stays reserved and
   * later calls read `watcher was stopped`.
   */
  retire(id: string): void {
    const entry = this.#live.get(id);
    if (entry !== undefined) this.#retire(id, entry);
  }

  /** Stops every watcher (connection closed); later reserve/add fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#live];
    for (const [id, entry] of entries) this.#retire(id, entry);
    await Promise.all(entries.map(([, e]) => e.watcher.stop().catch(() => undefined)));
  }

  #retire(id: string, entry: Entry): void {
    this.#live.delete(id);
    this.#onCountChange(-1, entry.facade);
    this.#stopped.set(id, entry.facade);
    if (this.#stopped.size > MAX_REMEMBERED_STOPPED) {
      const oldest = this.#stopped.keys().next().value;
      if (oldest !== undefined) this.#stopped.delete(oldest);
    }
  }

  #wasIssued(id: string): boolean {
    if (!/^[1-9]\d{0,15}$/.test(id)) return false;
    const n = Number(id);
    return n <= this.#lastId;
  }
}
