import { describe, expect, it } from 'vitest';
import { ClientError } from './client-error.js';
import { PendingCalls, connectionClosed } from './pending-calls.js';

describe('PendingCalls', () => {
  it('routes responses by request id in any order', async () => {
    const p = new PendingCalls();
    const a = p.start();
    const b = p.start();
    expect([a.requestId, b.requestId]).toEqual([1, 2]);
    expect(p.settle({ requestId: 2, ok: true, response: { b: 1 } })).toBe(true);
    expect(p.settle({ requestId: 1, ok: true, response: { a: 1 } })).toBe(true);
    await expect(a.response).resolves.toEqual({ a: 1 });
    await expect(b.response).resolves.toEqual({ b: 1 });
    expect(p.size).toBe(0);
  });

  it('a response for no waiting call is reported, not delivered twice', async () => {
    const p = new PendingCalls();
    const a = p.start();
    expect(p.settle({ requestId: 1, ok: true, response: {} })).toBe(true);
    expect(p.settle({ requestId: 1, ok: true, response: {} })).toBe(false);
    expect(p.settle({ requestId: 0, ok: false, error: new ClientError('BadRequest', 'x') })).toBe(false);
    await a.response;
  });

  it('a closed connection fails every waiting call exactly once, and every later call', async () => {
    const p = new PendingCalls();
    const calls = [p.start(), p.start(), p.start()];
    const outcomes = calls.map((c) => c.response.then(() => 'resolved', (e: unknown) => e));
    const err = connectionClosed('code 1006');
    p.end(err);
    p.end(connectionClosed('again'));
    expect(p.settle({ requestId: 1, ok: true, response: {} })).toBe(false);
    for (const o of await Promise.all(outcomes)) expect(o).toBe(err);
    await expect(p.start().response).rejects.toBe(err);
    expect(err.code).toBe('TryAgain');
  });

  it('an aborted call rejects at once and its late response is dropped', async () => {
    const p = new PendingCalls();
    const ac = new AbortController();
    const c = p.start(ac.signal);
    const reason = new ClientError('Stopped', 'watcher was stopped');
    ac.abort(reason);
    await expect(c.response).rejects.toBe(reason);
    expect(p.size).toBe(0);
    expect(p.settle({ requestId: c.requestId, ok: true, response: {} })).toBe(false);
  });

  it('server errors reject the caller with the ClientError', async () => {
    const p = new PendingCalls();
    const c = p.start();
    const err = new ClientError('PermissionDenied', 'permission denied', 'unauthorized access');
    p.settle({ requestId: c.requestId, ok: false, error: err });
    await expect(c.response).rejects.toBe(err);
  });
});
