// Typed errors with stable codes: callers and tests match on `code` (or on texts a contract fixes),
// never on free message text. Codes survive the wire (RPC error frames carry them).

/** Stable error codes. Spec texts that say `E_NOT_VALID`/`E_STOPPED` mean `NotValid`/`Stopped`. */
export type ErrorCode =
  | 'NotValid'
  | 'NotFound'
  | 'Stopped'
  | 'ResyncRequired'
  | 'Unauthorized'
  | 'PermissionDenied'
  | 'BadRequest'
  | 'AlreadyExists'
  | 'QuotaExceeded'
  | 'NotImplemented'
  | 'TryAgain'
  | 'Internal';

/** The one error type modelwatch raises; subclasses only refine `name`. */
export class ModelwatchError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = 'ModelwatchError';
  }
}

/** A configuration or input that is not valid ("missing Clock not valid"). Code `NotValid`. */
export class NotValidError extends ModelwatchError {
  constructor(message: string, options?: ErrorOptions) {
    super('NotValid', message, options);
    this.name = 'NotValidError';
  }
}

/** True when `err` is a ModelwatchError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof ModelwatchError && err.code === code;
}

/** Renders any thrown value as a message, for logs and wrapped errors. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Turns any thrown value into an Error (non-Errors are wrapped, the original kept as cause). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err), { cause: err });
}
