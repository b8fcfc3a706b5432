// Watching all entities of a model (Client.WatchAll + AllWatcher) or of every model
// (Controller.WatchAllModels + AllModelWatcher), resuming from the last delivered revision.
import type { Logger } from '../core/index.js';
import { ClientError } from './client-error.js';
import { decodeBatch } from './batch-decoder.js';
import type { DeltaBatch, KindPolicy } from './batch-decoder.js';
import { keyOf } from './frame-codec.js';
import { ResumableWatcher } from './resumable-watcher.js';
import type { ResumableWatcherConfig, WatchDriver } from './resumable-watcher.js';
import type { RpcConnection } from './rpc-connection.js';

/** Which family of watcher: a model's or the controller's. */
export interface WatchFamily {
  startFacade: string;
  startVersions: readonly number[];
  startRequest: string;
  watcherFacade: string;
  watcherVersions: readonly number[];
}

export const MODEL_FAMILY: WatchFamily = {
  startFacade: 'Client', startVersions: [2, 3, 5, 6, 7, 8], startRequest: 'WatchAll',
  watcherFacade: 'AllWatcher', watcherVersions: [1, 2, 3],
};
export const CONTROLLER_FAMILY: WatchFamily = {
  startFacade: 'Controller', startVersions: [9, 11], startRequest: 'WatchAllModels',
  watcherFacade: 'AllModelWatcher', watcherVersions: [2, 3, 4],
};

/** What happened when a delta watcher (re)started on the server. */
export type WatchEvent =
  | { type: 'started'; since: number | undefined }
  | { type: 'resumed'; since: number }
  | { type: 'resync-required'; since: number };

/** The revision-keeping half of a delta watcher. */
export class DeltaWatchDriver implements WatchDriver<DeltaBatch> {
  readonly #family: WatchFamily;
  readonly #kinds: KindPolicy;
  readonly #onEvent: ((e: WatchEvent) => void) | undefined;
  /** Revision of the last delivered batch (or the caller's `since` before any). */
  #revision: number | undefined;
  /** Batches delivered so far: the first is always delivered, even when empty. */
  #delivered = 0;
  #startedOnce = false;

  constructor(family: WatchFamily, since: number | undefined, kinds: KindPolicy, onEvent?: (e: WatchEvent) => void) {
    this.#family = family;
    this.#revision = since;
    this.#kinds = kinds;
    this.#onEvent = onEvent;
  }

  get revision(): number | undefined {
    return this.#revision;
  }

  async start(conn: RpcConnection, signal: AbortSignal): Promise<{ id: string; type: string; version: number }> {
    const f = this.#family;
    const startVersion = conn.versionOf(f.startFacade, f.startVersions);
    const version = conn.versionOf(f.watcherFacade, f.watcherVersions);
    if (startVersion === undefined || version === undefined) {
      throw new ClientError('NotImplemented', `the server offers no usable ${f.startFacade}/${f.watcherFacade} facade`);
    }
    const since = this.#revision;
    const params = since === undefined ? {} : { 'since-revision': since };
    const result = await conn.call({ type: f.startFacade, version: startVersion, request: f.startRequest, params }, signal);
    const id = keyOf(result, 'watcher-id');
    if (typeof id !== 'string' || id === '') throw new ClientError('BadRequest', 'malformed response: no watcher-id');
    const resync = keyOf(result, 'resync-required') === true;
    if (since === undefined) this.#onEvent?.({ type: 'started', since });
    else if (resync) this.#onEvent?.({ type: 'resync-required', since });
    else if (this.#startedOnce) this.#onEvent?.({ type: 'resumed', since });
    else this.#onEvent?.({ type: 'started', since });
    this.#startedOnce = true;
    return { id, type: f.watcherFacade, version };
  }

  accept(result: Record<string, unknown>): DeltaBatch | undefined {
    const batch = decodeBatch(result, this.#revision ?? 0, this.#kinds);
    // A resumed watcher's first Next may be empty: nothing the consumer has not seen.
    if (this.#delivered > 0 && batch.deltas.length === 0 && !batch.reset) {
      this.#revision = Math.max(this.#revision ?? 0, batch.revision);
      return undefined;
    }
    this.#delivered++;
    this.#revision = batch.revision;
    return batch;
  }
}

/** A watcher of delta batches that reports the revision it has delivered up to. */
export class DeltaWatcher extends ResumableWatcher<DeltaBatch> {
  readonly #driver: DeltaWatchDriver;

  constructor(cfg: Omit<ResumableWatcherConfig<DeltaBatch>, 'driver'> & { driver: DeltaWatchDriver }) {
    super(cfg);
    this.#driver = cfg.driver;
  }

  /** Revision of the last delivered batch; the `since` given, or undefined, before the first. */
  revision(): number | undefined {
    return this.#driver.revision;
  }
}

/** A logger-only default for events nobody listens to. */
export function logWatchEvent(logger: Logger): (e: WatchEvent) => void {
  return (e) => logger.info(`watcher ${e.type}`, e);
}
