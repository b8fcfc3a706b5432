// modelwatch/client: the TypeScript client of a modelwatch controller (Node and browsers).

/**
 * Connects to a controller (`http(s)://` or `ws(s)://` URL) with user/password, user/token or agent
 * credentials. @throws NotValidError, ClientError (Unauthorized…), ConnectionLostError.
 */
export { connect, Client } from './client.js';
export type { ConnectOptions, WatchOptions, ClientEvent } from './client.js';
/** Credentials a client logs in with. */
export type { Credentials, PasswordCredentials, TokenCredentials, AgentCredentials } from './credentials.js';
/** A batch of deltas: `{deltas, revision, reset}`. */
export type { DeltaBatch } from './batch-decoder.js';
/** Watchers: async iterables with stop() and `Symbol.asyncDispose`; DeltaWatcher adds revision(). */
export type { Watcher } from './resumable-watcher.js';
export { WATCHER_STOPPED } from './resumable-watcher.js';
export { DeltaWatcher } from './delta-watch.js';
export type { WatchEvent } from './delta-watch.js';
/** An agent's liveness change. */
export type { PresenceChange } from './presence-watch.js';
export { EntitiesFacade } from './entities.js';
export type { EntityPage, ListOptions } from './entities.js';
/** The REST management client (models, users, grants, entities, apply, tokens). */
export { RestClient } from './rest-client.js';
export type { ModelSummary, UserSummary, ApplyOp, RestClientConfig } from './rest-client.js';
/**
 * Client errors: `code` is the core ErrorCode, `serverCode` the server's wire code.
 * ConnectionLostError (code TryAgain) means the call may be retried.
 */
export { ClientError, ConnectionLostError, isRetryable } from './client-error.js';
export type { SessionEvent } from './session.js';
export type { LoginInfo } from './rpc-connection.js';
export type { SocketDialer, RpcSocket, SocketListeners } from './socket.js';
export { parseEndpoint } from './endpoint.js';
export type { Endpoint } from './endpoint.js';
export type { ClientLimits } from './limits.js';
export { DEFAULT_CLIENT_LIMITS } from './limits.js';
/** Pure codec pieces, for tests and other transports. */
export { encodeCall, decodeResponse } from './frame-codec.js';
export type { RpcCall, ResponseFrame } from './frame-codec.js';
