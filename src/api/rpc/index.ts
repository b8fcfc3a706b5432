// The WebSocket RPC edge (spec/protocol.md): serve one upgraded connection, plus the envelope codec
// and error texts. The HTTP server upgrades `/api` and `/model/<uuid>/api` and hands the socket here.

/**
 * Serves the RPC protocol on an upgraded `ws` socket (path `/api` or `/model/<uuid>/api`; an
 * unknown or malformed uuid still upgrades and Login answers `unknown model`). Never throws.
 * Configure the `WebSocketServer` with `rpcServerOptions(limits)` so frames over 4× the message
 * limit are refused with close code 1009 before they are buffered.
 */
export { serveRpcConnection, rpcServerOptions, connectionTarget, HARD_CAP_FACTOR } from './connection.js';
export type { RpcConnection, RpcConnectionInfo } from './connection.js';
/** The envelope codec: pure functions from frames to requests and results to frames. */
export { decodeRequest, encodeError, encodeResult, EncodedResponse, getKey, scanRequestId } from './envelope.js';
export type { Decoded, MethodResult, RpcRequest, RpcResponse } from './envelope.js';
/** Wire errors with the spec's exact texts, and the mapping of thrown errors to them. */
export { RpcError, rpcErrors, toRpcError, ERR_BAD_CREDENTIALS, ERR_PERMISSION_DENIED, ERR_WATCHER_STOPPED } from './rpc-error.js';
export type { WireErrorCode } from './rpc-error.js';
/** Metrics of the RPC edge (`modelwatch_api_rpc_*`), one set per registry. */
export { rpcMetricsFor } from './metrics.js';
export type { RpcMetrics } from './metrics.js';
