import { describe, expect, it } from 'vitest';
import { ClientError } from './client-error.js';
import { decodeResponse, encodeCall } from './frame-codec.js';

describe('encodeCall', () => {
  it('writes request-id first so a server scan of an oversized frame finds it', () => {
    const text = encodeCall(7, { type: 'AllWatcher', version: 3, request: 'Next', id: '4' });
    expect(text).toBe('{"request-id":7,"type":"AllWatcher","version":3,"id":"4","request":"Next"}');
  });

  it('omits id and params when absent, keeps params when given', () => {
    expect(encodeCall(1, { type: 'Pinger', version: 1, request: 'Ping' })).toBe('{"request-id":1,"type":"Pinger","version":1,"request":"Ping"}');
    expect(JSON.parse(encodeCall(2, { type: 'Client', version: 8, request: 'WatchAll', params: { 'since-revision': 5 } })))
      .toEqual({ 'request-id': 2, type: 'Client', version: 8, request: 'WatchAll', params: { 'since-revision': 5 } });
  });
});

describe('decodeResponse', () => {
  it('decodes a success frame', () => {
    expect(decodeResponse('{"request-id":9,"response":{"revision":12,"deltas":[]}}'))
      .toEqual({ requestId: 9, ok: true, response: { revision: 12, deltas: [] } });
  });

  it('treats a missing response as {} (a void method)', () => {
    expect(decodeResponse('{"request-id":3}')).toEqual({ requestId: 3, ok: true, response: {} });
  });

  it('maps an error frame to a ClientError keeping the server text and code', () => {
    const f = decodeResponse('{"request-id":12,"error":"watcher was stopped","error-code":"stopped","response":{}}');
    expect(f.ok).toBe(false);
    if (f.ok) return;
    expect(f.error).toBeInstanceOf(ClientError);
    expect(f.error.message).toBe('watcher was stopped');
    expect(f.error.code).toBe('Stopped');
    expect(f.error.serverCode).toBe('stopped');
  });

  it('tells a wrong password from a missing grant although both carry "unauthorized access"', () => {
    const bad = decodeResponse('{"request-id":1,"error":"invalid entity name or password","error-code":"unauthorized access","response":{}}');
    const denied = decodeResponse('{"request-id":2,"error":"permission denied","error-code":"unauthorized access","response":{}}');
    expect(!bad.ok && bad.error.code).toBe('Unauthorized');
    expect(!denied.ok && denied.error.code).toBe('PermissionDenied');
  });

  it.each([
    ['model not found', 'NotFound'], ['try again', 'TryAgain'], ['not implemented', 'NotImplemented'],
    ['bad request', 'BadRequest'], ['quota limit exceeded', 'QuotaExceeded'], ['something new', 'Internal'],
  ])('maps wire code %s to %s', (wire, code) => {
    const f = decodeResponse(JSON.stringify({ 'request-id': 1, error: 'x', 'error-code': wire, response: {} }));
    expect(!f.ok && f.error.code).toBe(code);
  });

  it('matches keys case-insensitively like the server', () => {
    expect(decodeResponse('{"Request-ID":4,"Response":{"a":1}}')).toEqual({ requestId: 4, ok: true, response: { a: 1 } });
  });

  it.each([
    ['not json', 'malformed response: '],
    ['[1,2]', 'malformed response: a response must be a JSON object'],
    ['{"response":{}}', 'malformed response: request-id must be a non-negative integer'],
    ['{"request-id":1,"response":[]}', 'malformed response: response must be an object'],
  ])('rejects a malformed frame %s with a BadRequest', (text, msg) => {
    let caught: unknown;
    try {
      decodeResponse(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ClientError);
    expect((caught as ClientError).code).toBe('BadRequest');
    expect((caught as ClientError).message.startsWith(msg)).toBe(true);
  });
});
