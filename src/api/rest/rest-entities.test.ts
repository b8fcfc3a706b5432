import { describe, expect, it } from 'vitest';
import type { State } from '../../state/index.js';
import { createRestHandler } from './rest-handler.js';
import { M1, M2, M3, RestFixture, basic } from './testdata/rest-fixture.js';

const { f, t } = RestFixture.sharedByFile();

describe('REST entities', () => {
  it('PUT then GET an entity whose id holds an encoded slash; GET of a missing one is a JSON 404', async () => {
    const put = await f.request('PUT', `/v1/models/${M1}/entities/unit/mysql%2F0`, { auth: t.bob, body: { application: 'mysql', life: 'alive' } });
    expect(put.status).toBe(200);
    expect(put.json.revision).toEqual(expect.any(Number));
    const get = await f.request('GET', `/v1/models/${M1}/entities/unit/mysql%2F0`, { auth: t.reader });
    expect(get.status).toBe(200);
    expect(get.json).toEqual({ kind: 'unit', modelUUID: M1, id: 'mysql/0', data: { application: 'mysql', life: 'alive' } });
    const missing = await f.request('GET', `/v1/models/${M1}/entities/unit/mysql%2F9`, { auth: t.reader });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'unit "mysql/9" not found', code: 'NotFound' });
    expect(missing.headers['content-type']).toMatch(/^application\/json/);
  });

  it('drops wire keys that repeat the identity and refuses ones that contradict it', async () => {
    const ok = await f.request('PUT', `/v1/models/${M1}/entities/unit/pg%2F0`, { auth: t.bob, body: { name: 'pg/0', 'model-uuid': M1, life: 'alive' } });
    expect(ok.status).toBe(200);
    expect((await f.state.get({ kind: 'unit', modelUUID: M1, id: 'pg/0' }))?.data).toEqual({ life: 'alive' });
    const bad = await f.request('PUT', `/v1/models/${M1}/entities/unit/pg%2F0`, { auth: t.bob, body: { name: 'pg/1' } });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: 'data.name not valid: must be absent or equal "pg/0"', code: 'NotValid' });
  });

  it('DELETE removes an entity and answers the revision; deleting it again is 404', async () => {
    await f.request('PUT', `/v1/models/${M1}/entities/machine/7`, { auth: t.bob, body: { life: 'alive' } });
    const del = await f.request('DELETE', `/v1/models/${M1}/entities/machine/7`, { auth: t.bob });
    expect(del.status).toBe(200);
    expect(del.json.revision).toBe(await f.state.revision());
    expect((await f.request('DELETE', `/v1/models/${M1}/entities/machine/7`, { auth: t.bob })).status).toBe(404);
  });

  it('lists in (kind, id) pages with a cursor, optionally of one kind', async () => {
    await f.request('POST', `/v1/models/${M2}/apply`, {
      auth: t.admin,
      body: { ops: ['c', 'a', 'e', 'b', 'd'].map((id) => ({ op: 'update', entity: { kind: 'item', id, data: { n: id } } })).concat([{ op: 'update', entity: { kind: 'app', id: 'z', data: { n: 'z' } } }]) },
    });
    const p1 = await f.request('GET', `/v1/models/${M2}/entities?kind=item&limit=2`, { auth: t.bob });
    expect(p1.status).toBe(200);
    expect((p1.json.entities as Array<{ id: string }>).map((e) => e.id)).toEqual(['a', 'b']);
    expect(p1.json).toMatchObject({ more: true, next: 'item/b' });
    expect(typeof p1.json.revision).toBe('number');
    const p3 = await f.request('GET', `/v1/models/${M2}/entities?kind=item&limit=2&after=item/d`, { auth: t.bob });
    expect((p3.json.entities as Array<{ id: string }>).map((e) => e.id)).toEqual(['e']);
    expect(p3.json.more).toBeUndefined();
    const all = await f.request('GET', `/v1/models/${M2}/entities`, { auth: t.bob });
    expect((all.json.entities as Array<{ kind: string; id: string }>).map((e) => `${e.kind}/${e.id}`)).toEqual(['app/z', 'item/a', 'item/b', 'item/c', 'item/d', 'item/e', `model/${M2}`]);
    for (const q of ['limit=0', 'limit=10001', 'limit=x', 'after=nokind', 'kind=Bad%20Kind', 'after=Bad%20Kind/x', 'after=item/%01']) {
      expect((await f.request('GET', `/v1/models/${M2}/entities?${q}`, { auth: t.bob })).status).toBe(400);
    }
  });

  it('apply commits all ops at one revision; one bad op fails the whole call and writes nothing', async () => {
    const before = await f.state.revision();
    const ok = await f.request('POST', `/v1/models/${M1}/apply`, {
      auth: t.bob,
      body: { ops: [{ op: 'update', entity: { kind: 'application', id: 'wp', data: { life: 'alive' } } }, { op: 'update', entity: { kind: 'unit', id: 'wp/0', data: {} } }] },
    });
    expect(ok.status).toBe(200);
    expect(ok.json.revision).toBe(before + 1);
    const bad = await f.request('POST', `/v1/models/${M1}/apply`, {
      auth: t.bob,
      body: { ops: [{ op: 'remove', kind: 'application', id: 'wp' }, { op: 'update', entity: { kind: 'Not A Kind', id: 'x', data: {} } }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^invalid request: ops\[1\]: kind "Not A Kind" not valid/);
    expect(await f.state.get({ kind: 'application', modelUUID: M1, id: 'wp' })).toBeDefined();
    expect(await f.state.revision()).toBe(before + 1);
  });

  it('rejects bodies that are not JSON, do not match, or exceed 4 MiB', async () => {
    const url = `/v1/models/${M1}/apply`;
    const notJson = await f.request('POST', url, { auth: t.bob, raw: '{"ops": [' });
    expect(notJson.status).toBe(400);
    expect(notJson.json.code).toBe('BadRequest');
    expect(notJson.json.error).toMatch(/^malformed request: /);
    const shape = await f.request('POST', url, { auth: t.bob, body: { ops: [{ op: 'update', entity: { kind: 1, id: 'x', data: {} } }] } });
    expect(shape.json).toEqual({ error: 'invalid request: ops[0].entity.kind: Invalid input: expected string, received number', code: 'BadRequest' });
    expect((await f.request('POST', url, { auth: t.bob, body: { ops: [], extra: 1 } })).status).toBe(400);
    expect((await f.request('POST', url, { auth: t.bob })).status).toBe(400); // no body
    const big = await f.request('POST', url, { auth: t.bob, raw: `{"ops":[],"pad":"${'x'.repeat(4 * 1024 * 1024)}"}` });
    expect(big.status).toBe(413);
    expect(big.json.code).toBe('BadRequest');
    expect((await f.request('PUT', `/v1/models/${M1}/entities/item/a`, { auth: t.bob, body: [1, 2] })).status).toBe(400);
    const longId = await f.request('GET', `/v1/models/${M1}/entities/item/${'x'.repeat(256)}`, { auth: t.bob });
    expect(longId.json).toEqual({ error: 'id not valid: must be a string of 1 to 255 characters', code: 'NotValid' });
    const emptyId = await f.request('POST', url, { auth: t.bob, body: { ops: [{ op: 'remove', kind: 'item', id: '' }] } });
    expect(emptyId.json).toEqual({ error: 'invalid request: ops[0]: id not valid: must be a string of 1 to 255 characters', code: 'NotValid' });
  });

  it('a read-only user reads but cannot write; a user without access gets 403 whether or not the model exists', async () => {
    expect((await f.request('GET', `/v1/models/${M1}/entities`, { auth: t.reader })).status).toBe(200);
    const put = await f.request('PUT', `/v1/models/${M1}/entities/item/r`, { auth: t.reader, body: {} });
    expect(put.status).toBe(403);
    expect(put.json).toEqual({ error: 'permission denied', code: 'PermissionDenied' });
    expect((await f.request('POST', `/v1/models/${M1}/apply`, { auth: t.reader, body: { ops: [{ op: 'remove', kind: 'item', id: 'r' }] } })).status).toBe(403);
    expect((await f.request('GET', `/v1/models/${M1}/entities`, { auth: t.carol })).status).toBe(403);
    expect((await f.request('GET', `/v1/models/${M3}/entities`, { auth: t.carol })).status).toBe(403);
    expect((await f.request('GET', `/v1/models/${M3}/entities`, { auth: t.admin })).status).toBe(404);
    expect((await f.request('GET', `/v1/models/${M1}/entities/model/${M1}`, { auth: t.reader })).status).toBe(200);
    // Writing the model entity itself takes admin; removing it goes through DELETE /v1/models/{uuid}.
    expect((await f.request('PUT', `/v1/models/${M1}/entities/model/${M1}`, { auth: t.bob, body: { name: 'x' } })).status).toBe(403);
    expect((await f.request('DELETE', `/v1/models/${M1}/entities/model/${M1}`, { auth: t.admin })).status).toBe(400);
  });

  it('authentication: none, wrong password, bad token and odd schemes are 401 with a Basic challenge', async () => {
    const none = await f.request('GET', `/v1/models/${M1}/entities`);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="modelwatch"');
    expect(none.json).toEqual({ error: 'not logged in', code: 'Unauthorized' });
    const wrong = await f.request('GET', `/v1/models/${M1}/entities`, { auth: basic('bob', 'nope'), headers: {} });
    expect(wrong.json).toEqual({ error: 'invalid entity name or password', code: 'Unauthorized' });
    expect((await f.request('GET', `/v1/models/${M1}/entities`, { auth: 'Bearer not-a-token' })).status).toBe(401);
    expect((await f.request('GET', `/v1/models/${M1}/entities`, { auth: 'Digest x=y' })).status).toBe(401);
    expect((await f.request('GET', `/v1/models/${M1}/entities`, { auth: basic('bob', 'bob-pw') })).status).toBe(200);
    expect((await f.request('GET', `/v1/models/${M1}/entities`, { auth: basic('user-bob', 'bob-pw') })).status).toBe(200);
  });

  it('Basic logins from one address are rate limited: 429 "try again" after 5 failures', async () => {
    const g = await RestFixture.start();
    try {
      for (let i = 0; i < 5; i++) expect((await g.request('GET', `/v1/models/${M1}/entities`, { auth: basic(`u${i}`, 'x') })).status).toBe(401);
      const locked = await g.request('GET', `/v1/models/${M1}/entities`, { auth: 'bob' });
      expect(locked.status).toBe(429);
      expect(locked.json).toEqual({ error: 'try again', code: 'TryAgain' });
      expect(locked.headers['retry-after']).toBe('60');
    } finally {
      await g.stop();
    }
  });

  it('agents use their own model only, read it, and write only their own entity', async () => {
    expect((await f.request('PUT', `/v1/models/${M1}/agents/machine-0/password`, { auth: t.bob, body: { password: 'm0-pw' } })).status).toBe(403);
    expect((await f.request('PUT', `/v1/models/${M1}/agents/machine-0/password`, { auth: t.admin, body: { password: 'm0-pw' } })).status).toBe(200);
    expect((await f.request('PUT', `/v1/models/${M1}/agents/user-bob/password`, { auth: t.admin, body: { password: 'x' } })).status).toBe(400);
    const agent = basic('machine-0', 'm0-pw');
    expect((await f.request('GET', `/v1/models/${M1}/entities`, { auth: agent })).status).toBe(200);
    expect((await f.request('PUT', `/v1/models/${M1}/entities/machine/0`, { auth: agent, body: { life: 'alive' } })).status).toBe(200);
    expect((await f.request('PUT', `/v1/models/${M1}/entities/machine/1`, { auth: agent, body: { life: 'alive' } })).status).toBe(403);
    expect((await f.request('DELETE', `/v1/models/${M1}/entities/machine/0`, { auth: agent })).status).toBe(403);
    expect((await f.request('GET', `/v1/models/${M2}/entities`, { auth: agent })).status).toBe(401);
    expect((await f.request('GET', '/v1/users', { auth: agent })).status).toBe(401); // controller routes: no agent logins
    const token = await f.request('POST', `/v1/login?model=${M1}`, { auth: agent });
    expect(token.json.tag).toBe('machine-0');
    const bearer = `Bearer ${String(token.json.token)}`;
    expect((await f.request('GET', `/v1/models/${M2}/entities`, { auth: bearer })).status).toBe(403);
    expect((await f.request('GET', '/v1/models', { auth: bearer })).json).toEqual({ models: [{ uuid: M1, name: 'one', owner: 'admin', access: 'read' }] });
  });

  it('leaves non-REST paths to the server and answers a wrong method with 405', async () => {
    expect((await f.request('GET', '/healthz')).text).toBe('fallthrough');
    expect((await f.request('GET', '/v1/nothing-here', { auth: t.bob })).text).toBe('fallthrough');
    const wrong = await f.request('PATCH', `/v1/models/${M1}/entities/item/a`, { auth: t.bob });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, PUT, DELETE');
    expect((await f.request('GET', `/v1/models/${M1}/entities/item/%E0%A4%A`, { auth: t.bob })).status).toBe(400);
  });

  it('counts requests by route and status in the registry; a second handler reuses the metrics', async () => {
    const text = await f.registry.metrics();
    expect(text).toContain('modelwatch_api_rest_requests_total{route="GET /v1/models/{uuid}/entities/{kind}/{id}",status="200"}');
    expect(text).toContain('modelwatch_api_rest_requests_total{route="POST /v1/models/{uuid}/apply",status="400"}');
    expect(text).toContain('modelwatch_api_rest_request_duration_seconds_bucket');
    expect(() => createRestHandler({ services: f.services, admin: f.auth.admin })).not.toThrow();
  });
});

describe('REST failures', () => {
  it('an unexpected failure answers 500 "internal error" without the cause (no SQL, paths or stacks)', async () => {
    const g = await RestFixture.start({
      wrapState: (s: State) => Object.assign(Object.create(s) as State, {
        get: () => Promise.reject(new Error('SQLITE_CORRUPT: SELECT data FROM entities at /var/lib/modelwatch/state.db')),
      }),
    });
    try {
      const r = await g.request('GET', `/v1/models/${M1}/entities/item/a`, { auth: 'admin' });
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ error: 'internal error', code: 'Internal' });
      expect(g.logger.records.some((l) => l.level === 'error' && JSON.stringify(l.fields).includes('SQLITE_CORRUPT'))).toBe(true);
    } finally {
      await g.stop();
    }
  });

  it('refuses construction without its dependencies', () => {
    expect(() => createRestHandler({} as never)).toThrow('missing ControllerServices not valid');
    expect(() => createRestHandler({ services: f.services } as never)).toThrow('missing UserAdmin not valid');
  });
});
