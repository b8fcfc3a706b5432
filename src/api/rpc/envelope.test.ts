import { describe, expect, it } from 'vitest';
import { decodeRequest, encodeError, encodeResult, getKey, scanRequestId } from './envelope.js';
import { rpcErrors, toRpcError } from './rpc-error.js';
import { ModelwatchError } from '../../core/index.js';

describe('decodeRequest', () => {
  it('decodes jujulib and python-libjuju shapes alike (case-insensitive keys, top-level id)', () => {
    const js = decodeRequest('{"type":"AllWatcher","request":"Next","version":3,"id":"7","request-id":4}');
    const py = decodeRequest('{"type":"AllWatcher","request":"Next","version":3,"Id":"7","params":{},"request-id":4}');
    expect(js).toEqual(py);
    expect(js).toEqual({ ok: true, request: { requestId: 4, type: 'AllWatcher', version: 3, id: '7', request: 'Next', params: {} } });
  });

  it('an exact-case key wins over another spelling', () => {
    expect(getKey({ ID: 'a', id: 'b' }, 'id')).toBe('b');
    expect(getKey({ ID: 'a' }, 'id')).toBe('a');
  });

  it('defaults: version 0, id "", params {} (also for null params)', () => {
    const d = decodeRequest('{"type":"Pinger","request":"Ping","request-id":1,"params":null}');
    expect(d).toMatchObject({ ok: true, request: { version: 0, id: '', params: {} } });
  });

  it('answers malformed frames with request-id 0', () => {
    const bad = decodeRequest('not json');
    expect(bad).toMatchObject({ ok: false, requestId: 0, error: { errorCode: 'bad request' } });
    expect(bad.ok ? '' : bad.error.message).toMatch(/^malformed request: /);
    expect(decodeRequest('[1,2]')).toMatchObject({ ok: false, requestId: 0, error: { message: 'malformed request: a request must be a JSON object' } });
    expect(decodeRequest('{"type":"X","request":"Y"}')).toMatchObject({ ok: false, requestId: 0, error: { message: 'invalid request: request-id must be a positive integer' } });
    expect(decodeRequest('{"RequestId":1,"Type":"Admin","Request":"Login"}')).toMatchObject({ ok: false, requestId: 0 }); // legacy v0
  });

  it('answers a bad envelope with its request-id', () => {
    const cases: Array<[string, string]> = [
      ['{"request-id":3,"type":1,"request":"Y"}', 'invalid request: type must be a non-empty string'],
      ['{"request-id":3,"type":"X","request":5}', 'invalid request: request must be a non-empty string'],
      ['{"request-id":3,"type":"X","request":"Y","version":"3"}', 'invalid request: version must be a non-negative integer'],
      ['{"request-id":3,"type":"X","request":"Y","id":7}', 'invalid request: id must be a string'],
      ['{"request-id":3,"type":"X","request":"Y","params":[1]}', 'invalid request: params must be an object'],
    ];
    for (const [frame, msg] of cases) expect(decodeRequest(frame)).toMatchObject({ ok: false, requestId: 3, error: { message: msg } });
  });
});

describe('scanRequestId', () => {
  it('finds the request id at either end of an oversized message, else 0', () => {
    const big = 'x'.repeat(10_000);
    expect(scanRequestId(`{"request-id":42,"params":{"a":"${big}"}}`)).toBe(42);
    expect(scanRequestId(`{"params":{"a":"${big}"},"request-id":43}`)).toBe(43);
    expect(scanRequestId(`{"params":{"a":"${big}"},"x":1}`)).toBe(0);
  });
});

describe('encoding', () => {
  it('a void result is {} and errors carry code and empty response', () => {
    expect(JSON.parse(encodeResult(5, undefined))).toEqual({ 'request-id': 5, response: {} });
    expect(JSON.parse(encodeError(12, rpcErrors.watcherStopped()))).toEqual({ 'request-id': 12, error: 'watcher was stopped', 'error-code': 'stopped', response: {} });
    expect(JSON.parse(encodeError(2, rpcErrors.alreadyLoggedIn()))).toEqual({ 'request-id': 2, error: 'already logged in', response: {} });
  });

  it('keeps the spec error texts exact', () => {
    expect(rpcErrors.unknownMethod('Client', 8, 'Foo').message).toBe('no such request - method Client(8).Foo is not implemented');
    expect(rpcErrors.unknownVersion('Client', 99).message).toBe('unknown version (99) of interface "Client"');
    expect(rpcErrors.unknownFacade('Nope').message).toBe('unknown object type "Nope"');
    expect(rpcErrors.unknownModel('abc').message).toBe('unknown model: "abc"');
    expect(rpcErrors.tooBig(10, 4).message).toBe('message too big: 10 bytes (limit 4)');
  });

  it('maps internal failures to a short message and keeps typed ones', () => {
    expect(toRpcError(new Error('SELECT * FROM secret failed at /etc/x'))).toMatchObject({ error: { message: 'internal error' }, unexpected: true });
    expect(toRpcError(new ModelwatchError('NotValid', 'kind bad'))).toMatchObject({ error: { message: 'kind bad', errorCode: 'not valid' }, unexpected: false });
    expect(toRpcError(new Error('watcher was stopped'))).toMatchObject({ error: { message: 'watcher was stopped', errorCode: 'stopped' } });
  });
});
