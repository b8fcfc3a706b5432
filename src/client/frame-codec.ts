// The client's side of the RPC envelope (spec/protocol.md §2): pure functions from calls to request
// frames and from response frames to results. The server side lives in api/rpc; this one is kept
// apart so browsers can use the client without loading server code.
import { ClientError, serverError } from './client-error.js';

/** One RPC call as the client makes it. */
export interface RpcCall {
  type: string;
  version: number;
  request: string;
  /** Watcher id, for watcher facades only. */
  id?: string;
  params?: Record<string, unknown>;
}

/** A decoded response frame. */
export type ResponseFrame =
  | { requestId: number; ok: true; response: Record<string, unknown> }
  | { requestId: number; ok: false; error: ClientError };

/** Encodes a request; `request-id` goes first so a server's bounded scan finds it in a huge frame. */
export function encodeCall(requestId: number, call: RpcCall): string {
  const frame: Record<string, unknown> = { 'request-id': requestId, type: call.type, version: call.version };
  if (call.id !== undefined) frame.id = call.id;
  frame.request = call.request;
  if (call.params !== undefined) frame.params = call.params;
  return JSON.stringify(frame);
}

/**
 * Decodes a response frame. Keys match ASCII case-insensitively, as the server reads ours.
 * @throws ClientError BadRequest `malformed response: <detail>` for anything that is not a
 *   response object with a numeric request-id.
 */
export function decodeResponse(text: string): ResponseFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw malformed(err instanceof Error ? err.message : 'invalid JSON');
  }
  if (!isObject(json)) throw malformed('a response must be a JSON object');
  const requestId = keyOf(json, 'request-id');
  if (typeof requestId !== 'number' || !Number.isSafeInteger(requestId) || requestId < 0) {
    throw malformed('request-id must be a non-negative integer');
  }
  const error = keyOf(json, 'error');
  if (typeof error === 'string' && error !== '') {
    const code = keyOf(json, 'error-code');
    return { requestId, ok: false, error: serverError(error, typeof code === 'string' && code !== '' ? code : undefined) };
  }
  const response = keyOf(json, 'response') ?? {};
  if (!isObject(response)) throw malformed('response must be an object');
  return { requestId, ok: true, response };
}

/** Reads `key` ASCII case-insensitively; an exact-case match wins. */
export function keyOf(obj: Record<string, unknown>, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

/** A plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function malformed(detail: string): ClientError {
  return new ClientError('BadRequest', `malformed response: ${detail}`);
}
