// The REST edge of the API (docs/api-rest.md): JSON over HTTP under /v1/, with Server-Sent Events
// for watching a model. The controller's HTTP server calls the handler and falls through on false.

/**
 * Builds the REST request handler from the controller's services and user management.
 * @throws NotValidError "missing ControllerServices not valid" / "missing UserAdmin not valid".
 */
export { createRestHandler } from './rest-handler.js';
export type { RestHandler, RestOptions } from './rest-handler.js';
export type { RestDeps } from './rest-deps.js';
/**
 * Writes a JSON response with `cache-control: no-store` (answers depend on credentials and live
 * state). The one JSON writer of the API: the REST routes and the server's own answers use it.
 */
export { sendJson } from './http-io.js';
/** Heartbeat interval of SSE watch streams (15 s), ms. */
export { SSE_HEARTBEAT_MS } from './sse-watch.js';
/** The REST metrics of a registry (`modelwatch_api_rest_*`), created once per registry. */
export { restMetricsFor } from './rest-metrics.js';
export type { RestMetrics } from './rest-metrics.js';
