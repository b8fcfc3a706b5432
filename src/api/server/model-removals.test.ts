// A removed model's RPC connections end at once (agents stop pinging a model that is gone), whatever
// path removed it; other models' connections are untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveRpcConnection } from '../rpc/index.js';
import { Harness, M1, M2, RawClient, pw } from '../rpc/testdata/harness.js';
import { ApiServer } from './api-server.js';

describe('model removal ends its connections', () => {
  let h: Harness;
  let server: ApiServer;
  let base: string;
  const forgotten: string[] = [];
  beforeAll(async () => {
    h = await Harness.start();
    server = await ApiServer.start({
      services: h.services, host: '127.0.0.1', port: 0, rpc: serveRpcConnection,
      onModelRemoved: (uuid) => {
        forgotten.push(uuid);
        // A failing hook is logged; it must not stop the watch of later removals.
        return forgotten.length === 1 ? Promise.reject(new Error('store down')) : Promise.resolve();
      },
    });
    base = server.address().url.replace(/^http/, 'ws');
  });
  afterAll(async () => {
    server.kill();
    await server.wait();
    await h.stop();
  });

  async function open(model: string, tag: string, password: string): Promise<RawClient> {
    const c = await RawClient.open(`${base}/model/${model}/api`);
    const r = await c.login(tag, password);
    expect(r.error).toBeUndefined();
    return c;
  }

  it('an agent and a watching user of the removed model are closed with 1001 "model removed"; another model\'s client is not', async () => {
    const agent = await open(M1, 'machine-0', 'm0-pw');
    const user = await open(M1, 'user-writer', pw('writer'));
    const other = await open(M2, 'user-writer', pw('writer'));
    const wid = (await user.call('Client', 'WatchAll', { version: 8 })).response?.['watcher-id'] as string;
    await user.call('AllWatcher', 'Next', { version: 3, id: wid }); // the snapshot
    const pending = user.call('AllWatcher', 'Next', { version: 3, id: wid });

    await h.state.remove({ kind: 'model', modelUUID: M1, id: M1 }); // straight through the state, not the API
    let closed: Array<{ code: number; reason: string }> | undefined;
    void Promise.all([agent.closed, user.closed]).then((c) => (closed = c));
    await h.pump(() => closed !== undefined);
    expect(closed).toEqual([{ code: 1001, reason: 'model removed' }, { code: 1001, reason: 'model removed' }]);
    void pending;
    expect(await other.call('Pinger', 'Ping', { version: 1 })).toMatchObject({ response: {} });
    expect((server.report()['model-removals'] as Record<string, unknown>)['models-removed']).toBe(1);
    other.close();
  });

  it('every removal reaches onModelRemoved (the controller forgets grants, credentials and tokens there), even after a failed one', async () => {
    expect(forgotten).toEqual([M1]); // the previous test's removal, whose hook failed
    await h.state.remove({ kind: 'model', modelUUID: M2, id: M2 });
    await h.pump(() => forgotten.length === 2);
    expect(forgotten).toEqual([M1, M2]);
  });
});
