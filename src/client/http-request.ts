// One JSON HTTP request: global fetch (browsers, Node ≥ 18), or node:https when a custom CA is
// given (Node's fetch takes no CA without a dispatcher from a package we do not ship).
import type { ErrorCode } from '../core/index.js';
import { ClientError, ConnectionLostError, serverError } from './client-error.js';
import { isObject } from './frame-codec.js';

/** A request. `body` is JSON-encoded when present. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  ca?: string | Uint8Array | undefined;
}

/** Status and parsed JSON body (undefined when empty). */
export interface HttpResponse {
  status: number;
  body: unknown;
}

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'PermissionDenied', 404: 'NotFound', 409: 'AlreadyExists',
  429: 'TryAgain', 501: 'NotImplemented', 503: 'TryAgain',
};

/**
 * Sends a request and returns the parsed JSON of a 2xx answer.
 * @throws ClientError from the `{"error","code"}` body (or the status when there is none);
 *   ConnectionLostError when the server cannot be reached.
 */
export async function httpJson(req: HttpRequest): Promise<unknown> {
  const headers = { accept: 'application/json', ...req.headers, ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}) };
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  let res: HttpResponse;
  try {
    res = req.ca !== undefined ? await nodeRequest(req, headers, payload) : await fetchRequest(req, headers, payload);
  } catch (err) {
    throw new ConnectionLostError(`cannot reach ${new URL(req.url).origin}: ${describeNetworkError(err)}`, { cause: err });
  }
  if (res.status >= 200 && res.status < 300) return res.body;
  if (isObject(res.body) && typeof res.body.error === 'string') {
    const code = typeof res.body.code === 'string' ? res.body.code : undefined;
    const err = serverError(res.body.error, code);
    if (err.code !== 'Internal' || code !== undefined) throw err;
    throw new ClientError(STATUS_CODES[res.status] ?? 'Internal', res.body.error);
  }
  throw new ClientError(STATUS_CODES[res.status] ?? 'Internal', `HTTP ${res.status} from ${req.method} ${new URL(req.url).pathname}`);
}

async function fetchRequest(req: HttpRequest, headers: Record<string, string>, payload: string | undefined): Promise<HttpResponse> {
  const res = await fetch(req.url, { method: req.method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  return { status: res.status, body: parseBody(await res.text()) };
}

async function nodeRequest(req: HttpRequest, headers: Record<string, string>, payload: string | undefined): Promise<HttpResponse> {
  const https = await import('node:https');
  return new Promise<HttpResponse>((resolve, reject) => {
    const r = https.request(req.url, { method: req.method, headers, ca: req.ca as string | Buffer }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString('utf8')) }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(payload);
  });
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeNetworkError(err: unknown): string {
  const cause: unknown = err instanceof Error ? err.cause : undefined;
  if (isObject(cause) && typeof cause.code === 'string') return cause.code;
  return err instanceof Error ? err.message : String(err);
}
