// The seam between the controller's wiring (`modelwatch serve`) and the API edges (RPC, REST):
// everything a connection or a request may use, passed in, never imported as a singleton.
import type { Registry } from 'prom-client';
import type { Clock, Logger } from '../core/index.js';
import type { MultiwatcherWorker } from '../multiwatcher/index.js';
import type { PingRecorder, PresenceStore, PresenceWatcher } from '../presence/index.js';
import type { State } from '../state/index.js';
import type { AuthTag } from './auth/tags.js';

/** Per-model access levels, ordered read < write < admin. */
export type ModelAccess = 'read' | 'write' | 'admin';
/** Controller access levels, ordered login < superuser (a superuser has admin on every model). */
export type ControllerAccess = 'login' | 'superuser';

/** Who a connection or request is authenticated as. */
export type Identity =
  | { kind: 'user'; tag: string; name: string; displayName: string; controllerAccess: ControllerAccess }
  | { kind: 'agent'; tag: string; agent: Exclude<AuthTag, { kind: 'user' }>; modelUUID: string };

/** Where a login comes from, for rate limiting and logs. */
export interface LoginAttempt {
  tag: string;
  password: string;
  /** The model of a model connection; undefined on the controller connection. */
  modelUUID: string | undefined;
  remoteAddress: string;
}

/**
 * Authentication and authorisation. Errors are ModelwatchErrors whose texts the protocol fixes:
 * code Unauthorized "invalid entity name or password", TryAgain "try again",
 * PermissionDenied "permission denied".
 */
export interface AuthService {
  /** Checks credentials (rate-limited per address and per tag). */
  login(attempt: LoginAttempt): Promise<Identity>;
  /** The identity's access on a model: '' when none. Agents have read on their own model only. */
  modelAccess(identity: Identity, modelUUID: string): Promise<ModelAccess | ''>;
  /** Bearer tokens for REST (`POST /v1/login`): issue and resolve. */
  issueToken(identity: Identity): Promise<string>;
  resolveToken(token: string): Promise<Identity | undefined>;
  /** Diagnostics: tracked limiter keys, live tokens. */
  report(): Record<string, unknown>;
  /**
   * A number that changes whenever this service changes anyone's access (grants, revocations,
   * controller access, user and model removal): cached access answers older than it are stale.
   * Optional for services that cache nothing of their own.
   */
  accessEpoch?(): number;
}

/** What presence offers the API: the batcher for agents' pingers and shared per-model watchers. */
export interface PresenceServices {
  /** Slot period P in ms (whole seconds). */
  readonly periodMs: number;
  readonly store: PresenceStore;
  /** The controller's current batcher (replaced if it restarts). */
  recorder(): PingRecorder;
  /** Flushes pending pings now (agent login), resolving once written. */
  syncBatcher(): Promise<void>;
  /** The model's shared presence watcher, created on first use and replaced when it dies. */
  watcherFor(modelUUID: string): PresenceWatcher;
}

/** Limits of the API edges (defaults in api/limits.ts). */
export interface ApiLimits {
  /** Largest accepted RPC message in bytes (default 4 MiB). */
  maxMessageBytes: number;
  /** Requests in flight per connection (default 64). */
  maxRequestsInFlight: number;
  /** Live watchers per connection (default 100). */
  maxWatchersPerConnection: number;
  /** A connection without a successful Login is closed after this (default 30 s). */
  loginTimeoutMs: number;
  /** WebSocket ping interval; a connection missing two pongs is closed (default 30 s). */
  keepaliveMs: number;
  /** Socket send buffer above which a connection is treated as stalled (default 8 MiB). */
  maxBufferedBytes: number;
}

/** Everything the API edges use. Built by the controller wiring; tests build their own. */
export interface ControllerServices {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly controllerUUID: string;
  /** Advertised in Login results (default "3.6.0"). */
  readonly serverVersion: string;
  readonly state: State;
  readonly multiwatcher: MultiwatcherWorker;
  readonly presence: PresenceServices;
  readonly auth: AuthService;
  readonly limits: ApiLimits;
  readonly registry: Registry;
}
