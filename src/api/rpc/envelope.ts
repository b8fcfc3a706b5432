// The RPC envelope codec (spec/protocol.md §2): pure functions from frames to requests and from
// results to response frames. Keys match ASCII case-insensitively, an exact-case match winning.
import { RpcError, rpcErrors } from './rpc-error.js';

/** A parsed request. */
export interface RpcRequest {
  requestId: number;
  type: string;
  version: number;
  id: string;
  request: string;
  params: Record<string, unknown>;
}

/** A response frame as sent. */
export type RpcResponse =
  | { 'request-id': number; response: Record<string, unknown> }
  | { 'request-id': number; error: string; 'error-code'?: string; response: Record<string, never> };

/** Outcome of decoding one frame: a request, or an error answered with the request id found. */
export type Decoded = { ok: true; request: RpcRequest } | { ok: false; requestId: number; error: RpcError };

/** Reads `key` from an object ASCII case-insensitively; an exact-case key wins. */
export function getKey(obj: Record<string, unknown>, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

/** getKey with the exact-case own key read directly first (the case of every client we know). */
function field(obj: Record<string, unknown>, key: string): unknown {
  const v = obj[key];
  return v !== undefined && Object.prototype.hasOwnProperty.call(obj, key) ? v : getKey(obj, key);
}

function invalid(requestId: number, detail: string): Decoded {
  return { ok: false, requestId, error: rpcErrors.invalidRequest(detail) };
}

/** Decodes one text frame already within the size limit. Never throws. */
export function decodeRequest(text: string): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, requestId: 0, error: rpcErrors.malformedRequest(err instanceof Error ? err.message : 'invalid JSON') };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, requestId: 0, error: rpcErrors.malformedRequest('a request must be a JSON object') };
  }
  const o = json as Record<string, unknown>;
  const rid = field(o, 'request-id');
  if (typeof rid !== 'number' || !Number.isSafeInteger(rid) || rid <= 0) return invalid(0, 'request-id must be a positive integer');
  const type = field(o, 'type');
  if (typeof type !== 'string' || type === '') return invalid(rid, 'type must be a non-empty string');
  const request = field(o, 'request');
  if (typeof request !== 'string' || request === '') return invalid(rid, 'request must be a non-empty string');
  const version = field(o, 'version') ?? 0;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) return invalid(rid, 'version must be a non-negative integer');
  const id = field(o, 'id') ?? '';
  if (typeof id !== 'string') return invalid(rid, 'id must be a string');
  const rawParams = field(o, 'params') ?? {}; // absent or null means {}
  if (typeof rawParams !== 'object' || Array.isArray(rawParams)) return invalid(rid, 'params must be an object');
  const params = rawParams as Record<string, unknown>;
  return { ok: true, request: { requestId: rid, type, version, id, request, params } };
}

/**
 * For an oversized message: finds `"request-id": N` in its first and last 256 characters
 * (Juju clients write it after params; ours first), else 0. Bounded work whatever the size.
 */
export function scanRequestId(text: string): number {
  const re = /"request-id"\s*:\s*(\d{1,15})/i;
  const m = re.exec(text.slice(0, 256)) ?? re.exec(text.slice(-256));
  const n = m?.[1] === undefined ? 0 : Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/**
 * A response already encoded as JSON text (STYLE §9: serialise once): the frame is built around it by
 * concatenation, so cached parts (encoded deltas) are not parsed or stringified again.
 */
export class EncodedResponse {
  /** The JSON text of the response object. */
  readonly json: string;

  constructor(json: string) {
    this.json = json;
  }
}

/** What a method answers: a result object, or its JSON text already encoded. */
export type MethodResult = Record<string, unknown> | EncodedResponse;

/** A success frame (a void method answers `{}`). */
export function encodeResult(requestId: number, result: MethodResult | undefined): string {
  if (result instanceof EncodedResponse) return `{"request-id":${requestId},"response":${result.json}}`;
  return JSON.stringify({ 'request-id': requestId, response: result ?? {} });
}

/** A failure frame: error text, code when there is one, and an empty response. */
export function encodeError(requestId: number, err: RpcError): string {
  const frame: Record<string, unknown> = { 'request-id': requestId, error: err.message };
  if (err.errorCode !== undefined) frame['error-code'] = err.errorCode;
  frame.response = {};
  return JSON.stringify(frame);
}
