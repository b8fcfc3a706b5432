// Access is checked on every call (spec/protocol.md §9), with one lookup per identity and model
// reused for ACCESS_CACHE_MS of the injected clock: a Next loop does not query the users store per
// delta, and a revocation still takes effect within the bound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, M1, loggedIn, pw } from '../rpc/testdata/harness.js';
import { ACCESS_CACHE_MS } from './access-cache.js';

const DENIED = { error: 'permission denied', 'error-code': 'unauthorized access', response: {} };

describe('model access cache', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('many calls within the bound make one lookup', async () => {
    const c = await loggedIn(h, M1, 'user-reader', pw('reader'));
    const before = h.auth.modelAccessCalls;
    for (let i = 0; i < 20; i++) expect(await c.call('Entities', 'List', { version: 1, params: {} })).toMatchObject({ response: {} });
    expect(h.auth.modelAccessCalls - before).toBe(1);
    h.clock.advance(ACCESS_CACHE_MS);
    await c.call('Entities', 'List', { version: 1, params: {} });
    expect(h.auth.modelAccessCalls - before).toBe(2);
    c.close();
  });

  it('connections of one user share a lookup; another user or model gets its own', async () => {
    h.clock.advance(ACCESS_CACHE_MS);
    const a = await loggedIn(h, M1, 'user-reader', pw('reader'));
    const b = await loggedIn(h, M1, 'user-reader', pw('reader'));
    const w = await loggedIn(h, M1, 'user-writer', pw('writer'));
    const before = h.auth.modelAccessCalls;
    for (const c of [a, b, a, b]) expect(await c.call('Entities', 'List', { version: 1, params: {} })).toMatchObject({ response: {} });
    expect(h.auth.modelAccessCalls - before).toBe(1);
    expect(await w.call('Entities', 'List', { version: 1, params: {} })).toMatchObject({ response: {} });
    expect(h.auth.modelAccessCalls - before).toBe(2);
    for (const c of [a, b, w]) c.close();
  });

  it('access revoked is enforced within the cache bound, and a denial is not reused', async () => {
    h.clock.advance(ACCESS_CACHE_MS);
    const c = await loggedIn(h, M1, 'user-writer', pw('writer'));
    const wid = (await c.call('Client', 'WatchAll', { version: 8 })).response!['watcher-id'] as string;
    expect(await c.call('AllWatcher', 'Next', { version: 3, id: wid })).toMatchObject({ response: { reset: true } });
    h.auth.revoked.add(`writer/${M1}`);
    try {
      h.clock.advance(ACCESS_CACHE_MS - 1);
      expect(await c.call('Entities', 'List', { version: 1, params: {} })).toMatchObject({ response: {} }); // still within the bound
      h.clock.advance(1);
      expect(await c.call('AllWatcher', 'Next', { version: 3, id: wid })).toEqual({ 'request-id': expect.any(Number) as number, ...DENIED });
      const calls = h.auth.modelAccessCalls;
      expect(await c.call('Entities', 'List', { version: 1, params: {} })).toMatchObject(DENIED);
      expect(h.auth.modelAccessCalls).toBe(calls + 1);
    } finally {
      h.auth.revoked.delete(`writer/${M1}`);
    }
    // Granted again: applies at once, since a denial is not kept.
    expect(await c.call('Entities', 'List', { version: 1, params: {} })).toMatchObject({ response: {} });
    c.close();
  });

  it('a revocation made through the auth service applies at once, inside the cache bound', async () => {
    h.clock.advance(ACCESS_CACHE_MS);
    const c = await loggedIn(h, M1, 'user-writer', pw('writer'));
    expect(await c.call('Entities', 'List', { version: 1, params: {} })).toMatchObject({ response: {} });
    h.auth.revoked.add(`writer/${M1}`);
    h.auth.epoch++;
    try {
      expect(await c.call('Entities', 'List', { version: 1, params: {} })).toMatchObject(DENIED); // no clock advance
    } finally {
      h.auth.revoked.delete(`writer/${M1}`);
      h.auth.epoch++;
    }
    expect(await c.call('Entities', 'List', { version: 1, params: {} })).toMatchObject({ response: {} });
    c.close();
  });

  it('a failed lookup is not reused', async () => {
    h.clock.advance(ACCESS_CACHE_MS);
    const c = await loggedIn(h, M1, 'user-reader', pw('reader'));
    h.auth.modelAccessError = new Error('SQLITE_BUSY');
    try {
      expect(await c.call('Entities', 'List', { version: 1, params: {} })).toMatchObject({ error: 'internal error' });
    } finally {
      h.auth.modelAccessError = undefined;
    }
    expect(await c.call('Entities', 'List', { version: 1, params: {} })).toMatchObject({ response: {} });
    c.close();
  });
});
