// The server's own JSON answers (/healthz, unknown paths) are written as the REST routes' are: one
// sendJson, so they carry the same headers. A bad config is refused at start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotValidError } from '../../core/index.js';
import { serveRpcConnection } from '../rpc/index.js';
import { Harness } from '../rpc/testdata/harness.js';
import { ApiServer } from './api-server.js';
import type { ApiServerConfig } from './api-server.js';

describe('ApiServer JSON answers and config', () => {
  let h: Harness;
  let server: ApiServer;
  beforeAll(async () => {
    h = await Harness.start();
    server = await ApiServer.start({ services: h.services, host: '127.0.0.1', port: 0, rpc: serveRpcConnection });
  });
  afterAll(async () => {
    server.kill();
    await server.wait();
    await h.stop();
  });

  it('a proxy cannot cache a stale /healthz or 404: the server\'s JSON answers say no-store, as the REST routes\' do', async () => {
    const health = await fetch(`${server.address().url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect(health.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const missing = await fetch(`${server.address().url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(await missing.json()).toEqual({ error: 'no route for GET /nope', code: 'NotFound' });
  });

  it('refuses an onModelRemoved that is not a function at start, not at the first removal', async () => {
    const config = { services: h.services, host: '127.0.0.1', port: 0, rpc: serveRpcConnection, onModelRemoved: 'forget' } as unknown as ApiServerConfig;
    await expect(ApiServer.start(config)).rejects.toThrow(NotValidError);
    await expect(ApiServer.start(config)).rejects.toThrow('onModelRemoved not valid: must be a function');
  });

  it('refuses a metricsText that is not a function and a worker index that is not one, at start', async () => {
    const base = { services: h.services, host: '127.0.0.1', port: 0, rpc: serveRpcConnection };
    await expect(ApiServer.start({ ...base, metricsText: 'text' } as unknown as ApiServerConfig)).rejects.toThrow('metricsText not valid: must be a function');
    for (const worker of [-1, 1.5, '0']) {
      await expect(ApiServer.start({ ...base, worker } as unknown as ApiServerConfig)).rejects.toThrow(NotValidError);
    }
  });
});
