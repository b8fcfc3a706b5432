// The modelwatch client: one Session per endpoint (the controller's `/api`, each model's
// `/model/<uuid>/api`), watchers that resume across reconnects, entities over RPC and the REST
// management endpoints. Works in Node (the `ws` package) and browsers (the platform WebSocket).
import { NotValidError, SystemClock, nullLogger, systemRandom, validateModelUUID } from '../core/index.js';
import type { Clock, EntityId, EntityInfo, Logger, Random } from '../core/index.js';
import type { DeltaBatch, KindPolicy } from './batch-decoder.js';
import type { Credentials } from './credentials.js';
import { validateCredentials } from './credentials.js';
import { CONTROLLER_FAMILY, DeltaWatchDriver, DeltaWatcher, MODEL_FAMILY } from './delta-watch.js';
import type { WatchEvent, WatchFamily } from './delta-watch.js';
import { controllerApiUrl, modelApiUrl, parseEndpoint } from './endpoint.js';
import type { Endpoint } from './endpoint.js';
import { EntitiesFacade } from './entities.js';
import type { EntityPage, ListOptions } from './entities.js';
import type { ClientLimits } from './limits.js';
import { resolveClientLimits } from './limits.js';
import { PresenceWatchDriver } from './presence-watch.js';
import type { PresenceChange } from './presence-watch.js';
import { ResumableWatcher } from './resumable-watcher.js';
import type { Watcher } from './resumable-watcher.js';
import { RestClient } from './rest-client.js';
import type { ApplyOp } from './rest-client.js';
import type { LoginInfo } from './rpc-connection.js';
import { Session } from './session.js';
import type { SessionEvent } from './session.js';
import { dialWebSocket } from './socket.js';
import type { SocketDialer } from './socket.js';

/** Everything a client reports: connection changes and watcher (re)starts. */
export type ClientEvent = SessionEvent | (WatchEvent & { url: string });

/** Options of connect(): credentials plus the optional seams. */
export type ConnectOptions = Credentials & {
  /** PEM CA certificate(s) for wss:// and https:// (Node). */
  ca?: string | Uint8Array;
  /** Default: a SystemClock, created here (library code never reads real time itself). */
  clock?: Clock;
  /** Jitter source for back-off; seed it in tests. Default Math.random. */
  random?: Random;
  logger?: Logger;
  limits?: Partial<ClientLimits>;
  /** Kind → id field for kinds beyond Juju's table. */
  extraKinds?: Readonly<Record<string, string>>;
  /** Decode other kinds by their `id` field (default true); false skips them (logged once per kind). */
  openKinds?: boolean;
  onEvent?: (e: ClientEvent) => void;
  /** Replaces the WebSocket dialer (tests, custom transports). */
  dial?: SocketDialer;
  /** Dial the controller connection now, failing fast (default: true for users, false for agents). */
  eager?: boolean;
  /**
   * After a password login, reconnect with a bearer token the controller issued for it instead of
   * the password (default true; see docs/client.md). Juju controllers issue none: nothing changes there.
   */
  reconnectWithToken?: boolean;
};

/** Options of a delta watch. */
export interface WatchOptions {
  /** Resume after this revision instead of starting from the full state. */
  since?: number;
  /** Aborting stops the watcher. */
  signal?: AbortSignal;
}

/**
 * Connects to a controller and logs in (users: on `/api` at once, so bad credentials fail here).
 * @param url `http(s)://` or `ws(s)://` base URL of the controller, e.g. `http://127.0.0.1:17070`.
 * @throws NotValidError for a bad URL or credentials; ClientError Unauthorized for a refused
 *   login; ConnectionLostError when the controller cannot be reached.
 */
export async function connect(url: string, options: ConnectOptions): Promise<Client> {
  const client = new Client(url, options);
  const eager = options.eager ?? !('tag' in options);
  if (eager) {
    try {
      await client.controllerSession().open();
    } catch (err) {
      client.close();
      throw err;
    }
  }
  return client;
}

/** See the file comment. Create one with connect(). */
export class Client implements AsyncDisposable {
  readonly #endpoint: Endpoint;
  readonly #credentials: Credentials;
  readonly #options: ConnectOptions;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #logger: Logger;
  readonly #limits: ClientLimits;
  readonly #kinds: KindPolicy;
  readonly #sessions = new Map<string, Session>();
  /** Live watchers, stopped by close(). */
  readonly #watchers = new Set<ResumableWatcher<unknown>>();
  #rest: RestClient | undefined;
  #closed = false;

  /** Prefer connect(). @throws NotValidError for a bad URL, credentials, flag or limit. */
  constructor(url: string, options: ConnectOptions) {
    this.#endpoint = parseEndpoint(url);
    this.#credentials = validateCredentials(options);
    for (const flag of ['eager', 'openKinds', 'reconnectWithToken'] as const) {
      const v: unknown = options[flag];
      if (v !== undefined && typeof v !== 'boolean') throw new NotValidError(`${flag} not valid: must be a boolean`);
    }
    this.#options = options;
    this.#clock = options.clock ?? new SystemClock();
    this.#random = options.random ?? systemRandom;
    this.#logger = options.logger ?? nullLogger;
    this.#limits = resolveClientLimits(options.limits);
    this.#kinds = { extraKinds: options.extraKinds ?? {}, openKinds: options.openKinds ?? true, skippedKinds: new Set(), logger: this.#logger };
  }

  /** The controller's derived URLs. */
  get endpoint(): Endpoint {
    return this.#endpoint;
  }

  /** The REST management client, with the same credentials. */
  get rest(): RestClient {
    this.#rest ??= new RestClient({ baseUrl: this.#endpoint.http, credentials: this.#credentials, ca: this.#options.ca });
    return this.#rest;
  }

  /** The controller Login result (dials if needed). */
  async controllerInfo(): Promise<LoginInfo> {
    return (await this.controllerSession().connection()).login;
  }

  /** Watches every entity of a model: the full state first (unless `since`), then deltas. */
  watchModel(modelUUID: string, opts: WatchOptions = {}): DeltaWatcher {
    validateModelUUID(modelUUID);
    return this.#watchDeltas(this.modelSession(modelUUID), MODEL_FAMILY, opts);
  }

  /** Watches every model (controller superuser only). */
  watchController(opts: WatchOptions = {}): DeltaWatcher {
    return this.#watchDeltas(this.controllerSession(), CONTROLLER_FAMILY, opts);
  }

  /** Watches agents' liveness in a model: every key's state first, then transitions. */
  watchPresence(modelUUID: string, keys: readonly string[], opts: { signal?: AbortSignal } = {}): Watcher<PresenceChange[]> {
    validateModelUUID(modelUUID);
    const w = new ResumableWatcher<PresenceChange[]>({ ...this.#watcherSeams(), session: this.modelSession(modelUUID), driver: new PresenceWatchDriver(keys), signal: opts.signal });
    return this.#track(w);
  }

  /** The Entities facade of a model. */
  entities(modelUUID: string): EntitiesFacade {
    validateModelUUID(modelUUID);
    return new EntitiesFacade(this.modelSession(modelUUID), modelUUID);
  }

  /** Writes whole infos in one transaction. @returns its revision. */
  update(modelUUID: string, infos: readonly EntityInfo[]): Promise<number> {
    return this.entities(modelUUID).update(infos);
  }

  /** Removes entities in one transaction. @returns its revision. */
  remove(modelUUID: string, ids: readonly EntityId[]): Promise<number> {
    return this.entities(modelUUID).remove(ids);
  }

  /** One entity, or undefined. */
  get(modelUUID: string, kind: string, id: string): Promise<EntityInfo | undefined> {
    return this.entities(modelUUID).get(kind, id);
  }

  /** One page of entities. */
  list(modelUUID: string, opts?: ListOptions): Promise<EntityPage> {
    return this.entities(modelUUID).list(opts);
  }

  /** Every entity, paging as needed. */
  listAll(modelUUID: string, opts?: Omit<ListOptions, 'after'>): AsyncGenerator<EntityInfo> {
    return this.entities(modelUUID).listAll(opts);
  }

  /** Updates and removals in one transaction (through REST `apply`, the one mixed-op call). */
  apply(modelUUID: string, ops: readonly ApplyOp[]): Promise<number> {
    validateModelUUID(modelUUID);
    return this.rest.apply(modelUUID, ops);
  }

  /** Stops every watcher and closes every connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#watchers) void w.stop();
    this.#watchers.clear();
    for (const s of this.#sessions.values()) s.close();
    this.#sessions.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const stops = [...this.#watchers].map((w) => w.stop());
    await Promise.all(stops);
    this.close();
  }

  /** The controller session (`/api`). */
  controllerSession(): Session {
    return this.#session('', controllerApiUrl(this.#endpoint));
  }

  /** A model's session (`/model/<uuid>/api`). */
  modelSession(modelUUID: string): Session {
    return this.#session(modelUUID, modelApiUrl(this.#endpoint, modelUUID));
  }

  #session(key: string, url: string): Session {
    let s = this.#sessions.get(key);
    if (s === undefined || s.isClosed()) {
      s = new Session({
        url, credentials: this.#credentials, dial: this.#options.dial ?? dialWebSocket, clock: this.#clock, random: this.#random,
        logger: this.#logger, limits: this.#limits, ca: this.#options.ca, onEvent: this.#options.onEvent,
        reconnectWithToken: this.#options.reconnectWithToken,
      });
      if (!this.#closed) this.#sessions.set(key, s);
      else s.close();
    }
    return s;
  }

  #watchDeltas(session: Session, family: WatchFamily, opts: WatchOptions): DeltaWatcher {
    const onEvent = this.#options.onEvent;
    const driver = new DeltaWatchDriver(family, opts.since, this.#kinds, (e) => {
      this.#logger.info(`watcher ${e.type}`, { url: session.url, since: e.since });
      onEvent?.({ ...e, url: session.url });
    });
    return this.#track(new DeltaWatcher({ ...this.#watcherSeams(), session, driver, signal: opts.signal }));
  }

  #watcherSeams(): { clock: Clock; random: Random; logger: Logger; limits: ClientLimits } {
    return { clock: this.#clock, random: this.#random, logger: this.#logger, limits: this.#limits };
  }

  #track<W extends ResumableWatcher<T>, T>(w: W): W {
    if (this.#closed) void w.stop();
    else this.#watchers.add(w);
    return w;
  }
}

export type { DeltaBatch };
