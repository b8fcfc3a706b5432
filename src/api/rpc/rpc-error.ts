// Errors as the RPC wire shows them: a message and a Juju error code (spec/protocol.md §2.4).
import { ModelwatchError } from '../../core/index.js';
import type { ErrorCode } from '../../core/index.js';

/** Juju's wire error codes used here. */
export type WireErrorCode =
  | 'unauthorized access'
  | 'model not found'
  | 'try again'
  | 'not implemented'
  | 'stopped'
  | 'not found'
  | 'bad request'
  | 'quota limit exceeded'
  | 'not valid'
  | 'already exists';

/** An error answered to an RPC request: exact message, optional code. */
export class RpcError extends Error {
  readonly errorCode: WireErrorCode | undefined;
  constructor(message: string, errorCode?: WireErrorCode) {
    super(message);
    this.name = 'RpcError';
    this.errorCode = errorCode;
  }
}

const CODE_MAP: Partial<Record<ErrorCode, WireErrorCode>> = {
  NotValid: 'not valid',
  NotFound: 'not found',
  Stopped: 'stopped',
  Unauthorized: 'unauthorized access',
  PermissionDenied: 'unauthorized access',
  BadRequest: 'bad request',
  AlreadyExists: 'already exists',
  QuotaExceeded: 'quota limit exceeded',
  NotImplemented: 'not implemented',
  TryAgain: 'try again',
};

/** The texts every client relies on (jujulib rewrites the first two; python-libjuju reads the third). */
export const ERR_BAD_CREDENTIALS = 'invalid entity name or password';
export const ERR_PERMISSION_DENIED = 'permission denied';
export const ERR_WATCHER_STOPPED = 'watcher was stopped';

export const rpcErrors = {
  badCredentials: () => new RpcError(ERR_BAD_CREDENTIALS, 'unauthorized access'),
  permissionDenied: () => new RpcError(ERR_PERMISSION_DENIED, 'unauthorized access'),
  notLoggedIn: () => new RpcError('not logged in', 'unauthorized access'),
  alreadyLoggedIn: () => new RpcError('already logged in'),
  unknownModel: (uuid: string) => new RpcError(`unknown model: ${JSON.stringify(uuid)}`, 'model not found'),
  tryAgain: () => new RpcError('try again', 'try again'),
  unknownFacade: (type: string) => new RpcError(`unknown object type ${JSON.stringify(type)}`, 'not implemented'),
  unknownVersion: (type: string, v: number) => new RpcError(`unknown version (${v}) of interface ${JSON.stringify(type)}`, 'not implemented'),
  unknownMethod: (type: string, v: number, method: string) =>
    new RpcError(`no such request - method ${type}(${v}).${method} is not implemented`, 'not implemented'),
  watcherStopped: () => new RpcError(ERR_WATCHER_STOPPED, 'stopped'),
  unknownWatcher: () => new RpcError('unknown watcher id', 'not found'),
  invalidRequest: (detail: string) => new RpcError(`invalid request: ${detail}`, 'bad request'),
  malformedRequest: (detail: string) => new RpcError(`malformed request: ${detail}`, 'bad request'),
  tooBig: (n: number, limit: number) => new RpcError(`message too big: ${n} bytes (limit ${limit})`, 'bad request'),
  tooManyRequests: (limit: number) => new RpcError(`too many concurrent requests (limit ${limit})`, 'quota limit exceeded'),
  tooManyWatchers: (limit: number) => new RpcError(`too many watchers (limit ${limit})`, 'quota limit exceeded'),
} as const;

/**
 * Maps anything a facade threw to what the wire shows. Unexpected errors become a short
 * "internal error" (never a stack, SQL or path); the caller logs the original.
 */
export function toRpcError(err: unknown): { error: RpcError; unexpected: boolean } {
  if (err instanceof RpcError) return { error: err, unexpected: false };
  if (err instanceof ModelwatchError) {
    if (err.code === 'Internal') return { error: new RpcError('internal error'), unexpected: true };
    if (err.code === 'Stopped' && err.message === ERR_WATCHER_STOPPED) return { error: rpcErrors.watcherStopped(), unexpected: false };
    return { error: new RpcError(err.message, CODE_MAP[err.code]), unexpected: false };
  }
  if (err instanceof Error && (err.message === ERR_WATCHER_STOPPED || err.message === 'shared state watcher was stopped')) {
    return { error: new RpcError(err.message, 'stopped'), unexpected: false };
  }
  return { error: new RpcError('internal error'), unexpected: true };
}
