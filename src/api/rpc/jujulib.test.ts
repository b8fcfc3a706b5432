// An unmodified @canonical/jujulib (9.x) against the RPC edge, as a Node user runs it (spec §8.1):
// connectAndLogin with the generic Client/AllWatcher/Pinger facades and ws as wsclass, watchAll,
// first next = full state, a delta after a write, stop rejects a pending next, bad password.
import { connectAndLogin } from '@canonical/jujulib';
import AllWatcher from '@canonical/jujulib/dist/api/facades/all-watcher/index.js';
import Client from '@canonical/jujulib/dist/api/facades/client/index.js';
import Pinger from '@canonical/jujulib/dist/api/facades/pinger/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Harness, M1, pw } from './testdata/harness.js';

type Delta = [string, string, Record<string, unknown>];
interface WatchFacades {
  client: { watchAll(p: Record<string, never>): Promise<{ 'watcher-id': string }> };
  allWatcher: { next(p: { id: string }): Promise<{ deltas: Delta[] }>; stop(p: { id: string }): Promise<unknown> };
  pinger: { ping(): Promise<unknown> };
}

const options = {
  facades: [Client, AllWatcher, Pinger],
  wsclass: WebSocket as unknown as typeof globalThis.WebSocket,
  closeCallback: () => undefined,
};

describe('unmodified @canonical/jujulib', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    await h.state.update({ kind: 'application', modelUUID: M1, id: 'mysql', data: { life: 'alive' } });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('logs in, watches all, gets the full state then a delta, and a stop fails the pending next', async () => {
    const { conn, logout } = await connectAndLogin(`${h.url}/model/${M1}/api`, options, { username: 'admin', password: pw('admin') });
    expect(conn).toBeDefined();
    expect(conn!.info.serverVersion).toBe('3.6.0');
    const f = conn!.facades as unknown as WatchFacades;
    await f.pinger.ping();
    const { 'watcher-id': id } = await f.client.watchAll({});
    const first = await f.allWatcher.next({ id });
    expect(first.deltas).toContainEqual(['application', 'change', { 'model-uuid': M1, name: 'mysql', life: 'alive' }]);
    expect(first.deltas).toContainEqual(['model', 'change', expect.objectContaining({ 'model-uuid': M1 })]);

    const second = f.allWatcher.next({ id });
    await h.state.update({ kind: 'unit', modelUUID: M1, id: 'mysql/0', data: { application: 'mysql' } });
    expect((await second).deltas).toEqual([['unit', 'change', { 'model-uuid': M1, name: 'mysql/0', application: 'mysql' }]]);

    // Stop's answer and the pending Next's error may come in either order: expect the rejection first.
    const pending = expect(f.allWatcher.next({ id })).rejects.toThrow('watcher was stopped');
    await f.allWatcher.stop({ id });
    await pending;
    logout();
  });

  it('rejects a wrong password (jujulib rewrites our exact "invalid entity name or password")', async () => {
    await expect(connectAndLogin(`${h.url}/model/${M1}/api`, options, { username: 'admin', password: 'wrong' })).rejects.toThrow(
      'Have you been granted permission to a model on this controller?',
    );
  });
});
