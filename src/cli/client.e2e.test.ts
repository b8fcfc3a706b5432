// The client against a real `modelwatch serve` child process: watch, resume across a controller
// restart without loss or repeats, and auth failures. (It lives in cli/ beside the process harness.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../client/index.js';
import type { Client, DeltaBatch } from '../client/index.js';
import { freePort } from '../testing/index.js';
import type { ControllerProcess } from '../testing/index.js';
import { serverPiecesReady, startController } from './testdata/controller-process.js';

const ADMIN = { user: 'admin', password: 'e2e-s3cret' };
const FAST = { initialDelayMs: 50, maxDelayMs: 500 };

describe.skipIf(!serverPiecesReady())('client against modelwatch serve', () => {
  let dir: string;
  let port: number;
  let ctl: ControllerProcess;
  let modelUUID: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mw-client-e2e-'));
    port = await freePort();
    ctl = await startController(join(dir, 'state.db'), port, ADMIN.password);
    const c = await connect(ctl.url, ADMIN);
    const models = await c.rest.listModels();
    modelUUID = models.find((m) => m.name === 'default')?.uuid ?? '';
    c.close();
    expect(modelUUID).not.toBe('');
  });

  afterAll(async () => {
    await ctl.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const unit = (id: string, n: number) => ({ kind: 'unit', modelUUID, id, data: { application: 'app', n } });

  it('watches: full state first, then the deltas of writes, each batch with its revision', async () => {
    const client = await connect(ctl.url, { ...ADMIN, limits: FAST });
    try {
      await client.update(modelUUID, [unit('w/0', 1)]);
      const w = client.watchModel(modelUUID);
      const first = await w.next();
      expect(first.reset).toBe(true);
      expect(first.deltas.some((d) => d.entity.id === 'w/0')).toBe(true);
      const rev = await client.update(modelUUID, [unit('w/1', 1)]);
      const next = await w.next();
      expect(next.reset).toBe(false);
      expect(next.revision).toBe(rev);
      expect(next.deltas.map((d) => d.entity.id)).toEqual(['w/1']);
      expect(await client.get(modelUUID, 'unit', 'w/1')).toEqual(unit('w/1', 1));
      await w.stop();
    } finally {
      client.close();
    }
  });

  it('a controller restart loses and repeats nothing: the watcher resumes from its revision', async () => {
    const events: string[] = [];
    const client = await connect(ctl.url, { ...ADMIN, limits: FAST, onEvent: (e) => events.push(e.type) });
    try {
      await client.update(modelUUID, [unit('r/0', 1)]);
      const w = client.watchModel(modelUUID);
      await w.next();
      const pending = w.next();
      await ctl.stop();
      ctl = await startController(join(dir, 'state.db'), port, ADMIN.password);
      const writer = await connect(ctl.url, ADMIN);
      await writer.update(modelUUID, [unit('r/1', 1)]);
      await writer.update(modelUUID, [unit('r/2', 1)]);
      writer.close();
      const seen: DeltaBatch[] = [await pending];
      while (!seen.flatMap((b) => b.deltas).some((d) => d.entity.id === 'r/2')) seen.push(await w.next());
      const ids = seen.flatMap((b) => b.deltas.map((d) => d.entity.id));
      expect(ids).toEqual(['r/1', 'r/2']); // r/0 not repeated, nothing lost
      expect(seen.every((b) => !b.reset)).toBe(true);
      expect(events).toEqual(expect.arrayContaining(['disconnected', 'connected', 'resumed']));
      // The watcher's session came back with its bearer token (tokens survive the restart): the only
      // password logins the restarted controller verified are the writer's two sessions.
      const metrics = await (await fetch(`${ctl.url}/metrics`)).text();
      expect(metrics).toContain('modelwatch_api_auth_logins_total{outcome="ok"} 2\n');
      await w.stop();
    } finally {
      client.close();
    }
  });

  it('a wrong password is refused with the exact text and code Unauthorized', async () => {
    await expect(connect(ctl.url, { user: 'admin', password: 'wrong' })).rejects.toMatchObject({
      code: 'Unauthorized', message: 'invalid entity name or password',
    });
  });

  it('a watcher on an unknown model fails instead of retrying forever', async () => {
    let client: Client | undefined;
    try {
      client = await connect(ctl.url, { ...ADMIN, limits: FAST });
      const w = client.watchModel('00000000-0000-4000-8000-000000000000');
      await expect(w.next()).rejects.toMatchObject({ code: 'NotFound' });
    } finally {
      client?.close();
    }
  });
});
