// Presence over real sockets: an agent's connection drives its presence key (alive at Login, dead
// within about a second of a clean close), and Presence.Next reports transitions only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENTS, Harness, M1, RawClient, loggedIn, pw } from '../rpc/testdata/harness.js';
import type { Frame } from '../rpc/testdata/harness.js';

describe('Presence facade and agent connections', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h.stop();
  });

  /** Awaits a call's answer while moving the clock (presence reads and flushes run on it). */
  async function settled(p: Promise<Frame>, maxMs = 5000): Promise<{ frame: Frame; clockMs: number }> {
    const t0 = h.clock.now();
    let frame: Frame | undefined;
    void p.then((f) => (frame = f));
    await h.pump(() => frame !== undefined, maxMs);
    return { frame: frame!, clockMs: h.clock.now() - t0 };
  }

  it('sees an agent connection go alive at Login and dead within about a second of its close', async () => {
    const watcher = await loggedIn(h, M1, 'user-reader', pw('reader'));
    const wid = (await watcher.call('Presence', 'Watch', { version: 1, params: { keys: ['machine-0', 'unit-mysql-0', 'machine-0'] } })).response!['watcher-id'] as string;
    const next = (): Promise<Frame> => watcher.call('Presence', 'Next', { version: 1, id: wid });
    const first = await settled(next());
    expect(first.frame.response).toEqual({ changes: [{ key: 'machine-0', alive: false }, { key: 'unit-mysql-0', alive: false }] });

    const pending = next();
    const agent = await RawClient.open(`${h.url}/model/${M1}/api`);
    const login = agent.login('machine-0', AGENTS['machine-0']!);
    expect((await settled(login)).frame.response).toHaveProperty('facades');
    const alive = await settled(pending);
    expect(alive.frame.response).toEqual({ changes: [{ key: 'machine-0', alive: true }] });
    expect(alive.clockMs).toBeLessThan(1000); // batcher sync + doorbell, not the 30 s read period

    const pendingDead = next();
    agent.close();
    const dead = await settled(pendingDead);
    expect(dead.frame.response).toEqual({ changes: [{ key: 'machine-0', alive: false }] });
    expect(dead.clockMs).toBeLessThan(1500);
    watcher.close();
  });

  it('reports transitions only: a flap between two Nexts reports nothing', async () => {
    const watcher = await loggedIn(h, M1, 'user-admin', pw('admin'));
    const wid = (await watcher.call('Presence', 'Watch', { version: 1, params: { keys: ['unit-mysql-0', 'machine-1'] } })).response!['watcher-id'] as string;
    const next = (): Promise<Frame> => watcher.call('Presence', 'Next', { version: 1, id: wid });
    expect((await settled(next())).frame.response).toEqual({ changes: [{ key: 'unit-mysql-0', alive: false }, { key: 'machine-1', alive: false }] });
    // unit-mysql-0 comes and goes while nobody calls Next.
    const flapper = await RawClient.open(`${h.url}/model/${M1}/api`);
    await settled(flapper.login('unit-mysql-0', AGENTS['unit-mysql-0']!));
    await h.pump(() => false, 500).catch(() => undefined);
    flapper.close();
    await flapper.closed;
    await h.pump(() => false, 1500).catch(() => undefined);
    const m1 = await RawClient.open(`${h.url}/model/${M1}/api`);
    await settled(m1.login('machine-1', AGENTS['machine-1']!));
    expect((await settled(next())).frame.response).toEqual({ changes: [{ key: 'machine-1', alive: true }] });
    expect(await watcher.call('Presence', 'Stop', { version: 1, id: wid })).toMatchObject({ response: {} });
    expect(await watcher.call('Presence', 'Next', { version: 1, id: wid })).toMatchObject({ error: 'watcher was stopped', 'error-code': 'stopped' });
    expect((await watcher.call('Presence', 'Watch', { version: 1, params: { keys: ['user-admin'] } })).error).toBe(
      'invalid request: keys[0]: "user-admin" is not an agent tag (machine-<id> or unit-<app>-<n>)',
    );
    expect((await watcher.call('Presence', 'Watch', { version: 1, params: { keys: [] } })).error).toBe('invalid request: keys must hold 1 to 1000 items (got 0)');
    m1.close();
    watcher.close();
  });
});
