// One request through the checks of spec/protocol.md §2.4, in the spec's order: envelope (already
// decoded), logged in, facade, version, method, permission, params (inside the method).
import { checkAccess, facadeNamed, offeredOn } from '../facades/index.js';
import type { FacadeContext } from '../facades/index.js';
import type { MethodResult, RpcRequest } from './envelope.js';
import { requestMetricsFor } from './metrics.js';
import type { RequestMetrics, RpcMetrics } from './metrics.js';
import { rpcErrors } from './rpc-error.js';

/**
 * Runs the request's method and resolves with its result.
 * @throws RpcError with the spec's exact texts, or whatever the method threw (mapped by toRpcError).
 */
export async function dispatch(ctx: FacadeContext, req: RpcRequest): Promise<MethodResult> {
  // Admin is always reachable: before Login, Admin's own version/method errors still read as such
  // (jujulib's cookie login asks for Admin v4 and must hear "unknown version").
  if (req.type !== 'Admin' && ctx.identity() === undefined) throw rpcErrors.notLoggedIn();
  const facade = facadeNamed(req.type);
  if (facade === undefined || !offeredOn(facade, ctx.kind)) throw rpcErrors.unknownFacade(req.type);
  if (!facade.versions.includes(req.version)) throw rpcErrors.unknownVersion(req.type, req.version);
  const method = Object.prototype.hasOwnProperty.call(facade.methods, req.request) ? facade.methods[req.request] : undefined;
  if (method === undefined) throw rpcErrors.unknownMethod(req.type, req.version, req.request);
  const pending = checkAccess(ctx, method.access);
  if (pending !== undefined) await pending;
  return method.call(ctx, req);
}

/** The metric cells of a request: known facade/method names, else "unknown" (bounded cardinality). */
export function requestMetricsOf(m: RpcMetrics, req: RpcRequest): RequestMetrics {
  const facade = facadeNamed(req.type);
  if (facade === undefined) return requestMetricsFor(m, 'unknown', 'unknown');
  const known = Object.prototype.hasOwnProperty.call(facade.methods, req.request);
  return requestMetricsFor(m, facade.name, known ? req.request : 'unknown');
}
