// JSON in and out of HTTP for the REST routes: bounded body reading, JSON responses (sendJson, which
// the API server's own answers use too), and the mapping of ModelwatchError codes to HTTP statuses.
// Error bodies carry only a short message and the code: never a stack, SQL or a file path
// (spec/protocol.md §9).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode, Logger } from '../../core/index.js';
import { ModelwatchError, errorMessage } from '../../core/index.js';

/** A request body over the size limit: answered 413. */
export class BodyTooLargeError extends ModelwatchError {
  constructor(limitBytes: number) {
    super('BadRequest', `request body too big (limit ${limitBytes} bytes)`);
    this.name = 'BodyTooLargeError';
  }
}

/** `{"error": "<message>", "code": "<ModelwatchError code>"}`. */
export interface ErrorBody {
  error: string;
  code: ErrorCode;
}

const STATUS_OF_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  NotValid: 400,
  BadRequest: 400,
  Unauthorized: 401,
  PermissionDenied: 403,
  NotFound: 404,
  AlreadyExists: 409,
  ResyncRequired: 409,
  QuotaExceeded: 429,
  TryAgain: 429,
  NotImplemented: 501,
  Stopped: 503,
  Internal: 500,
});

/** The HTTP status for an error (500 for anything that is not a ModelwatchError). */
export function statusOf(err: unknown): number {
  if (err instanceof BodyTooLargeError) return 413;
  return err instanceof ModelwatchError ? STATUS_OF_CODE[err.code] : 500;
}

/**
 * Reads and parses a JSON body of at most `maxBytes`; an empty body is `undefined`.
 * @throws BodyTooLargeError (413) past the limit; ModelwatchError BadRequest for malformed JSON.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new BodyTooLargeError(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyTooLargeError(maxBytes);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks, size).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ModelwatchError('BadRequest', `malformed request: ${errorMessage(err)}`);
  }
}

/** Writes a JSON response (no caching: answers depend on credentials). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * Answers an error as JSON with its status; a 500 says only "internal error" and logs the cause.
 * A 413 closes the connection, since the rest of the body was not read.
 */
export function sendError(res: ServerResponse, err: unknown, logger: Logger, context: Record<string, unknown>): void {
  const status = statusOf(err);
  let body: ErrorBody;
  if (status === 500 || !(err instanceof ModelwatchError)) {
    logger.error('REST request failed', { ...context, err: errorMessage(err) });
    body = { error: 'internal error', code: 'Internal' };
  } else {
    body = { error: err.message, code: err.code };
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = 'Basic realm="modelwatch"';
  if (status === 413) headers.connection = 'close';
  if (status === 429 && body.code === 'TryAgain') headers['retry-after'] = '60';
  sendJson(res, status, body, headers);
}
