// Protocol hazards over real sockets: exact error texts and check order, bad and oversized frames,
// per-connection limits, blocked Next vs Stop/Ping, login timeout, keepalive and failed logins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, M1, RawClient, loggedIn, pw } from './testdata/harness.js';

const LIMIT = 4096;

describe('rpc connection protocol', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ maxMessageBytes: LIMIT, maxRequestsInFlight: 6, maxWatchersPerConnection: 3 });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('answers every call but Admin before login with "not logged in", ahead of facade errors', async () => {
    const c = await RawClient.open(`${h.url}/model/${M1}/api`);
    expect(await c.call('Pinger', 'Ping', { version: 1 })).toEqual({
      'request-id': 1, error: 'not logged in', 'error-code': 'unauthorized access', response: {},
    });
    expect((await c.call('NoSuch', 'X')).error).toBe('not logged in');
    // Admin stays reachable: jujulib's cookie login (Admin v4) hears "unknown version".
    expect(await c.call('Admin', 'Login', { version: 4 })).toMatchObject({
      error: 'unknown version (4) of interface "Admin"', 'error-code': 'not implemented', response: {},
    });
    c.close();
  });

  it('uses the exact texts for unknown facade, version and method, and facades of the other connection kind', async () => {
    const c = await loggedIn(h, M1, 'user-admin', pw('admin'));
    expect(await c.call('NoSuch', 'X', { version: 1 })).toMatchObject({ error: 'unknown object type "NoSuch"', 'error-code': 'not implemented' });
    expect(await c.call('Controller', 'WatchAllModels', { version: 11 })).toMatchObject({ error: 'unknown object type "Controller"' });
    expect(await c.call('Client', 'WatchAll', { version: 4 })).toMatchObject({ error: 'unknown version (4) of interface "Client"' });
    expect(await c.call('Client', 'FullStatus', { version: 8 })).toMatchObject({
      error: 'no such request - method Client(8).FullStatus is not implemented', 'error-code': 'not implemented',
    });
    expect(await c.login('user-admin', pw('admin'))).toMatchObject({ error: 'already logged in', response: {} });
    expect((await c.login('user-admin', pw('admin')))['error-code']).toBeUndefined();
    c.close();
  });

  it('answers malformed and binary frames with request-id 0 and keeps serving the connection', async () => {
    const c = await loggedIn(h, M1, 'user-admin', pw('admin'));
    c.ws.send('{not json');
    const bad = await c.nextUnrouted();
    expect(bad).toMatchObject({ 'request-id': 0, 'error-code': 'bad request', response: {} });
    expect(bad.error).toMatch(/^malformed request: /);
    c.ws.send(Buffer.from('{"request-id":5}'), { binary: true });
    expect(await c.nextUnrouted()).toMatchObject({ 'request-id': 0, error: 'malformed request: binary frames are not supported' });
    c.ws.send('{"RequestId":1,"Type":"Pinger","Request":"Ping"}'); // Juju's legacy v0 format
    expect(await c.nextUnrouted()).toMatchObject({ 'request-id': 0, error: 'invalid request: request-id must be a positive integer' });
    // A usable request-id with a bad envelope is answered with that id.
    expect(await c.send(77, '{"request-id":77,"type":"Pinger","request":"Ping","version":"1"}')).toMatchObject({
      'request-id': 77, error: 'invalid request: version must be a non-negative integer', 'error-code': 'bad request',
    });
    expect(await c.call('Pinger', 'Ping', { version: 1 })).toMatchObject({ response: {} });
    c.close();
  });

  it('answers an oversized message with the scanned request-id, and closes with 1009 above 4x the limit', async () => {
    const c = await loggedIn(h, M1, 'user-admin', pw('admin'));
    const pad = 'x'.repeat(LIMIT);
    // Juju clients write request-id after params; ours first.
    const big = `{"type":"Pinger","request":"Ping","params":{"p":"${pad}"},"request-id":41}`;
    expect(await c.send(41, big)).toMatchObject({
      'request-id': 41, error: `message too big: ${big.length} bytes (limit ${LIMIT})`, 'error-code': 'bad request',
    });
    expect(await c.send(42, `{"request-id":42,"type":"Pinger","params":{"p":"${pad}"}}`)).toMatchObject({ 'request-id': 42 });
    c.ws.send(`{"params":{"p":"${pad}"}}`);
    expect((await c.nextUnrouted()).error).toMatch(/^message too big: /);
    expect(await c.call('Pinger', 'Ping', { version: 1 })).toMatchObject({ response: {} });
    c.ws.send('y'.repeat(4 * LIMIT + 1));
    expect((await c.closed).code).toBe(1009);
  });

  it('a blocked Next does not delay Stop or Ping on the same connection', async () => {
    const c = await loggedIn(h, M1, 'user-admin', pw('admin'));
    const w = (await c.call('Client', 'WatchAll', { version: 8, params: {} })).response!['watcher-id'] as string;
    await c.call('AllWatcher', 'Next', { version: 3, id: w });
    let settled = false;
    const blocked = c.call('AllWatcher', 'Next', { version: 3, id: w }).finally(() => (settled = true));
    expect(await c.call('Pinger', 'Ping', { version: 1 })).toMatchObject({ response: {} });
    expect(settled).toBe(false);
    expect(await c.call('AllWatcher', 'Stop', { version: 3, id: w })).toMatchObject({ response: {} });
    expect(await blocked).toMatchObject({ error: 'watcher was stopped', 'error-code': 'stopped', response: {} });
    expect(await c.call('AllWatcher', 'Next', { version: 3, id: w })).toMatchObject({ error: 'watcher was stopped' });
    expect(await c.call('AllWatcher', 'Stop', { version: 3, id: w })).toMatchObject({ response: {} }); // idempotent
    expect(await c.call('AllWatcher', 'Next', { version: 3, id: '999' })).toMatchObject({ error: 'unknown watcher id', 'error-code': 'not found' });
    c.close();
  });

  it('limits live watchers and requests in flight with "quota limit exceeded", without disturbing others', async () => {
    const c = await loggedIn(h, M1, 'user-admin', pw('admin'));
    const served = h.connections.at(-1)!;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await c.call('Client', 'WatchAll', { version: 8 })).response!['watcher-id'] as string);
    expect(await c.call('Client', 'WatchAll', { version: 8 })).toMatchObject({
      error: 'too many watchers (limit 3)', 'error-code': 'quota limit exceeded',
    });
    // Presence watchers count against the same limit.
    expect((await c.call('Presence', 'Watch', { version: 1, params: { keys: ['machine-0'] } })).error).toBe('too many watchers (limit 3)');
    for (const id of ids) await c.call('AllWatcher', 'Next', { version: 3, id });
    const blocked = ids.flatMap((id) => [c.call('AllWatcher', 'Next', { version: 3, id }), c.call('AllWatcher', 'Next', { version: 3, id })]);
    expect(await c.call('Pinger', 'Ping', { version: 1 })).toMatchObject({
      error: 'too many concurrent requests (limit 6)', 'error-code': 'quota limit exceeded',
    });
    const other = await loggedIn(h, M1, 'user-admin', pw('admin'));
    expect(await other.call('Pinger', 'Ping', { version: 1 })).toMatchObject({ response: {} });
    other.close();
    expect(blocked).toHaveLength(6);
    expect(served.report()).toMatchObject({ watchers: 3, 'in-flight': 6 });
    // Closing stops every watcher of the connection.
    c.close();
    await c.closed;
    await h.pump(() => served.report().closed === true && served.report().watchers === 0, 1000);
  });

  it('closes a connection that does not log in within the login timeout', async () => {
    const c = await RawClient.open(`${h.url}/api`);
    await h.pump(() => false, 100).catch(() => undefined);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    h.clock.advance(30_000);
    expect((await c.closed).code).toBe(1008);
  });

  it('closes a peer that misses two keepalive pongs, never one that answers them', async () => {
    const silent = await RawClient.open(`${h.url}/model/${M1}/api`, { autoPong: false });
    const answering = await RawClient.open(`${h.url}/model/${M1}/api`);
    await silent.login('user-admin', pw('admin'));
    await answering.login('user-admin', pw('admin'));
    for (let i = 0; i < 4; i++) {
      h.clock.advance(30_000);
      await new Promise((r) => setTimeout(r, 20)); // real I/O: the ping and its pong
    }
    expect((await silent.closed).code).toBe(1006); // terminated: no close handshake with a silent peer
    expect(answering.ws.readyState).toBe(answering.ws.OPEN);
    expect(await answering.call('Pinger', 'Ping', { version: 1 })).toMatchObject({ response: {} });
    answering.close();
  });

  it('rejects wrong credentials with the exact text and closes after three failed logins', async () => {
    const c = await RawClient.open(`${h.url}/model/${M1}/api`);
    expect(await c.login('user-admin', 'wrong')).toEqual({
      'request-id': 1, error: 'invalid entity name or password', 'error-code': 'unauthorized access', response: {},
    });
    expect((await c.login('user-ghost', 'x')).error).toBe('invalid entity name or password');
    expect((await c.login('', '')).error).toBe('invalid entity name or password');
    expect((await c.closed).code).toBe(1008);
  });

  it('fails Login on an unknown or malformed model without checking credentials', async () => {
    for (const model of ['33333333-3333-4333-8333-333333333333', 'not-a-uuid']) {
      const c = await RawClient.open(`${h.url}/model/${model}/api`);
      expect(await c.login('user-admin', pw('admin'))).toMatchObject({ error: `unknown model: "${model}"`, 'error-code': 'model not found' });
      c.close();
    }
  });

  it('counts requests, connections and watchers in the registry', async () => {
    const text = await h.registry.metrics();
    expect(text).toMatch(/modelwatch_api_rpc_requests_total\{facade="Pinger",method="Ping",outcome="ok"\} \d+/);
    expect(text).toMatch(/modelwatch_api_rpc_requests_total\{facade="unknown",method="unknown",outcome="bad request"\} \d+/);
    expect(text).toContain('modelwatch_api_rpc_request_duration_seconds_bucket');
    expect(text).toContain('modelwatch_api_rpc_connections');
    expect(text).toContain('modelwatch_api_rpc_watchers');
  });
});
