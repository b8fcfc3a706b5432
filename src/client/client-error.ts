// Errors the client raises: server errors keep the server's text and wire code (`serverCode`) and
// map it to a core ErrorCode; a lost connection is a ConnectionLostError, which callers may retry.
import { ModelwatchError } from '../core/index.js';
import type { ErrorCode } from '../core/index.js';

/** An error from the server or from the client's own checks. `code` is the core ErrorCode. */
export class ClientError extends ModelwatchError {
  /** The server's wire code (`unauthorized access`, `not found`, …), undefined when none. */
  readonly serverCode: string | undefined;
  constructor(code: ErrorCode, message: string, serverCode?: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'ClientError';
    this.serverCode = serverCode;
  }
}

/** The connection closed or could not be opened; the call may be retried on a new connection. */
export class ConnectionLostError extends ClientError {
  constructor(message: string, options?: ErrorOptions) {
    super('TryAgain', message, undefined, options);
    this.name = 'ConnectionLostError';
  }
}

const WIRE_CODES: Readonly<Record<string, ErrorCode>> = {
  'unauthorized access': 'Unauthorized',
  'model not found': 'NotFound',
  'try again': 'TryAgain',
  'not implemented': 'NotImplemented',
  stopped: 'Stopped',
  'not found': 'NotFound',
  'bad request': 'BadRequest',
  'quota limit exceeded': 'QuotaExceeded',
  'not valid': 'NotValid',
  'already exists': 'AlreadyExists',
};

/** REST error codes (`{"error","code"}`): core codes as they are, or wire codes. */
const CORE_CODES = new Set<string>([
  'NotValid', 'NotFound', 'Stopped', 'ResyncRequired', 'Unauthorized', 'PermissionDenied',
  'BadRequest', 'AlreadyExists', 'QuotaExceeded', 'NotImplemented', 'TryAgain', 'Internal',
]);

/**
 * Maps a server error (text and wire code) to a ClientError. `permission denied` arrives with
 * code `unauthorized access` (Juju's way) but is PermissionDenied here, so callers can tell a
 * wrong password from a missing grant.
 */
export function serverError(message: string, serverCode: string | undefined): ClientError {
  let code: ErrorCode;
  if (message === 'permission denied') code = 'PermissionDenied';
  else if (serverCode !== undefined && CORE_CODES.has(serverCode)) code = serverCode as ErrorCode;
  else if (serverCode !== undefined) code = WIRE_CODES[serverCode] ?? 'Internal';
  else if (message === 'already logged in') code = 'BadRequest';
  else code = 'Internal';
  return new ClientError(code, message, serverCode);
}

/** True for errors after which the same call may succeed on a new connection or later. */
export function isRetryable(err: unknown): boolean {
  return err instanceof ConnectionLostError || (err instanceof ModelwatchError && err.code === 'TryAgain');
}
