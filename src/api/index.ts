// modelwatch/api: the controller — its wiring (Controller), the HTTP/WebSocket server, the RPC and
// REST edges, authentication, and the services seam between them.

/** `Controller.start(config)`: a dependency engine running state, multiwatcher, presence, auth and the API server. */
export { Controller, controllerManifolds } from './controller/controller.js';
export type { ControllerConfig } from './controller/controller.js';
export { bootstrapModels, deriveControllerUUID, CONTROLLER_MODEL, DEFAULT_MODEL } from './controller/bootstrap.js';
export { prepareDatabase } from './controller/prepare.js';
export type { PrepareConfig, PrepareResult } from './controller/prepare.js';
export { PresenceHub } from './controller/presence-hub.js';
/** `ApiServer.start(config)`: the HTTP(S) listener; upgrades `/api` and `/model/<uuid>/api` to RPC. */
export { ApiServer } from './server/api-server.js';
/** Writes a JSON response (no-store), as every JSON answer of the API server is written. */
export { sendJson } from './rest/index.js';
export type { ApiServerConfig, RpcConnector, RestHandler, RpcConnectionHandle } from './server/api-server.js';
export type { ControllerServices, AuthService, Identity, ModelAccess, ControllerAccess, LoginAttempt, PresenceServices, ApiLimits } from './services.js';
export { DEFAULT_API_LIMITS } from './limits.js';
export { serveRpcConnection, RpcError, rpcErrors } from './rpc/index.js';
export { createAuthService } from './auth/auth-service.js';
export type { ControllerAuthService } from './auth/auth-service.js';
export { hashPassword, verifyPassword, generatePassword } from './auth/password.js';
export { parseAuthTag, agentTag } from './auth/tags.js';
