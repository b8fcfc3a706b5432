// The REST API's entry: routes `/v1/...` requests to their handlers, authenticates them, answers
// errors as JSON and counts every request. Paths that are not REST routes are left to the caller
// (the controller's HTTP server answers 404 or serves /healthz, /metrics, WebSocket upgrades).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ModelwatchError } from '../../core/index.js';
import type { Identity } from '../services.js';
import { authenticate } from './authenticate.js';
import { entityRoutes } from './entity-routes.js';
import { readJsonBody, sendError, sendJson } from './http-io.js';
import { modelRoutes } from './model-routes.js';
import type { RestDeps } from './rest-deps.js';
import { validateRestDeps } from './rest-deps.js';
import { restMetricsFor } from './rest-metrics.js';
import type { Route, RouteContext } from './route.js';
import { RouteTable } from './route.js';
import { SSE_HEARTBEAT_MS, watchRoute } from './sse-watch.js';
import { userRoutes } from './user-routes.js';

/** Options for tests: a shorter SSE heartbeat. */
export interface RestOptions {
  /** Heartbeat comment interval of SSE streams, ms (default 15 s). */
  sseHeartbeatMs?: number;
}

/** A request handler: resolves true when it answered, false when the path is not a REST route. */
export type RestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * Builds the REST handler (docs/api-rest.md). For an SSE watch the promise resolves when the stream ends.
 * @throws NotValidError "missing ControllerServices not valid" / "missing UserAdmin not valid".
 */
export function createRestHandler(deps: RestDeps, options: RestOptions = {}): RestHandler {
  validateRestDeps(deps);
  const { services } = deps;
  const watch = watchRoute(options.sseHeartbeatMs ?? SSE_HEARTBEAT_MS);
  const table = new RouteTable([...entityRoutes(), ...modelRoutes(), ...userRoutes(), watch]);
  const metrics = restMetricsFor(services.registry);
  const maxBodyBytes = services.limits.maxMessageBytes;

  return async (req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith('/v1/')) return false;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const started = services.clock.now();
    let label = 'unmatched';
    try {
      const m = table.match(req.method ?? 'GET', path);
      if (m === undefined) return false;
      if ('allowed' in m) {
        label = 'method-not-allowed';
        sendJson(res, 405, { error: `method ${req.method ?? ''} not allowed`, code: 'BadRequest' }, { allow: m.allowed.join(', ') });
        return true;
      }
      const { route, params } = m;
      label = `${route.method} ${route.pattern}`;
      const ctx = context(deps, req, res, route, params, query, maxBodyBytes);
      if (route === watch) metrics.streams.inc();
      let result;
      try {
        result = await route.handle(ctx);
      } finally {
        if (route === watch) metrics.streams.dec();
      }
      if (result !== undefined) {
        sendJson(res, result.status, result.body);
        metrics.latency.observe({ route: label }, (services.clock.now() - started) / 1000);
      }
    } catch (err) {
      sendError(res, err, services.logger, { route: label, method: req.method });
    } finally {
      if (label !== 'unmatched') metrics.requests.inc({ route: label, status: String(res.statusCode) });
    }
    return true;
  };
}

function context(
  deps: RestDeps,
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
  params: Record<string, string>,
  query: URLSearchParams,
  maxBodyBytes: number,
): RouteContext {
  let identity: Promise<Identity> | undefined;
  let body: Promise<unknown> | undefined;
  return {
    req,
    res,
    deps,
    params,
    query,
    identity() {
      identity ??= authenticate(req, deps.services.auth, route.modelParam === undefined ? undefined : params[route.modelParam]);
      return identity;
    },
    body() {
      body ??= readJsonBody(req, maxBodyBytes).catch((err: unknown) => {
        throw err instanceof ModelwatchError ? err : new ModelwatchError('BadRequest', 'malformed request: the body could not be read');
      });
      return body;
    },
  };
}
