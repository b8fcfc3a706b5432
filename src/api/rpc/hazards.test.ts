// Hazards of a connection's environment: a peer that stops reading is cut off instead of buffering
// without bound, and unexpected failures answer a short text (no stack, SQL or path) and are logged.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCESS_CACHE_MS } from '../facades/index.js';
import { Harness, M1, loggedIn, pw } from './testdata/harness.js';
import type { Frame } from './testdata/harness.js';

describe('rpc connection hazards', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ maxBufferedBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('a peer that stops reading is closed once its send buffer passes the bound', async () => {
    const big = 'z'.repeat(200_000);
    await h.state.apply(Array.from({ length: 10 }, (_, i) => ({ op: 'update' as const, entity: { kind: 'blob', modelUUID: M1, id: `b${i}`, data: { big } } })));
    const c = await loggedIn(h, M1, 'user-admin', pw('admin'));
    const served = h.connections.at(-1)!;
    c.ws.pause(); // stops reading the socket: the server's writes pile up
    for (let i = 0; i < 40; i++) void c.call('Entities', 'List', { version: 1, params: { kinds: ['blob'] } });
    // Real I/O only (no timers involved): the server answering into full socket buffers.
    await vi.waitFor(() => expect(served.report().closed).toBe(true), { timeout: 20_000 });
    expect(await h.registry.metrics()).toMatch(/modelwatch_api_rpc_server_closes_total\{reason="stalled"\} 1/);
    expect(h.logger.at('warn').some((r) => r.msg === 'rpc peer not reading; closing')).toBe(true);
    c.ws.resume();
    await c.closed;
  });

  it('an unexpected failure answers "internal error" and is logged with facade and method', async () => {
    const c = await loggedIn(h, M1, 'user-admin', pw('admin'));
    h.clock.advance(ACCESS_CACHE_MS); // past the reuse of an earlier access lookup
    h.auth.modelAccessError = new Error('SQLITE_BUSY: database is locked at /var/lib/modelwatch/state.db');
    let r: Frame;
    try {
      r = await c.call('Client', 'WatchAll', { version: 8 });
    } finally {
      h.auth.modelAccessError = undefined;
    }
    expect(r).toEqual({ 'request-id': 2, error: 'internal error', response: {} });
    const logged = h.logger.at('error').find((x) => x.msg === 'rpc request failed');
    expect(logged?.fields).toMatchObject({ facade: 'Client', method: 'WatchAll' });
    expect((logged?.fields as { err?: string } | undefined)?.err).toContain('SQLITE_BUSY');
    expect(await c.call('Pinger', 'Ping', { version: 1 })).toMatchObject({ response: {} });
    c.close();
  });
});
