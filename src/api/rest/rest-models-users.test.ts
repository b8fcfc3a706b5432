import { describe, expect, it } from 'vitest';
import { M1, M2, PRESENCE_STORE, RestFixture, basic } from './testdata/rest-fixture.js';

const { f, t } = RestFixture.sharedByFile();

describe('REST models', () => {
  it('a user creates a model, gets admin on it and sees it listed; others do not', async () => {
    const created = await f.request('POST', '/v1/models', { auth: t.carol, body: { name: 'carols' } });
    expect(created.status).toBe(201);
    const uuid = created.json.uuid as string;
    expect(created.json).toMatchObject({ name: 'carols', owner: 'carol', access: 'admin' });
    expect(await f.state.get({ kind: 'model', modelUUID: uuid, id: uuid })).toMatchObject({ data: { name: 'carols', owner: 'carol' } });
    expect((await f.request('GET', '/v1/models', { auth: t.carol })).json).toEqual({ models: [{ uuid, name: 'carols', owner: 'carol', access: 'admin' }] });
    const bobs = (await f.request('GET', '/v1/models', { auth: t.bob })).json.models as Array<{ uuid: string; access: string }>;
    expect(bobs.map((m) => [m.uuid, m.access])).toEqual([[M1, 'write'], [M2, 'read']]);
    const admins = (await f.request('GET', '/v1/models', { auth: t.admin })).json.models as Array<{ uuid: string; access: string }>;
    expect(admins.map((m) => m.uuid).sort()).toEqual([M1, M2, uuid].sort());
    expect(admins.every((m) => m.access === 'admin')).toBe(true);
    expect((await f.request('GET', `/v1/models/${uuid}`, { auth: t.carol })).json).toMatchObject({ uuid, name: 'carols' });
    expect((await f.request('GET', `/v1/models/${uuid}`, { auth: t.bob })).status).toBe(403);
  });

  it('refuses a duplicate name of one owner (409) and bad names (400)', async () => {
    expect((await f.request('POST', '/v1/models', { auth: t.reader, body: { name: 'dup' } })).status).toBe(201);
    const again = await f.request('POST', '/v1/models', { auth: t.reader, body: { name: 'dup' } });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ error: 'model "dup" already exists', code: 'AlreadyExists' });
    expect((await f.request('POST', '/v1/models', { auth: t.carol, body: { name: 'dup' } })).status).toBe(201); // another owner
    expect((await f.request('POST', '/v1/models', { auth: t.carol, body: { name: 'Bad Name' } })).status).toBe(400);
    expect((await f.request('POST', '/v1/models', { auth: t.carol, body: {} })).status).toBe(400);
  });

  it('DELETE of a model takes model admin and removes its entities, grants and agents', async () => {
    const uuid = (await f.request('POST', '/v1/models', { auth: t.bob, body: { name: 'doomed' } })).json.uuid as string;
    await f.request('PUT', `/v1/models/${uuid}/entities/machine/0`, { auth: t.bob, body: {} });
    await f.request('PUT', `/v1/users/reader/access/${uuid}`, { auth: t.bob, body: { access: 'write' } });
    await f.request('PUT', `/v1/models/${uuid}/agents/machine-0/password`, { auth: t.bob, body: { password: 'p' } });
    await PRESENCE_STORE.allocate(uuid, 'm#0');
    expect(await PRESENCE_STORE.lastSeq(uuid)).toBe(1);
    expect((await f.request('DELETE', `/v1/models/${uuid}`, { auth: t.reader })).status).toBe(403);
    const del = await f.request('DELETE', `/v1/models/${uuid}`, { auth: t.bob });
    expect(del.status).toBe(200);
    expect(await f.state.list({ modelUUID: uuid })).toEqual([]);
    expect(await f.users.listModelAccess({ modelUUID: uuid })).toEqual([]);
    expect(await f.users.getAgentCredential(uuid, 'machine-0')).toBeUndefined();
    expect(await PRESENCE_STORE.countDocs('beings', uuid)).toBe(0); // presence rows of the model are gone
    expect(await PRESENCE_STORE.lastSeq(uuid)).toBe(0);
    expect((await f.request('DELETE', `/v1/models/${uuid}`, { auth: t.admin })).status).toBe(404);
  });
});

describe('REST users', () => {
  it('a superuser lists every user with grants; others see only themselves; no hashes anywhere', async () => {
    const all = await f.request('GET', '/v1/users', { auth: t.admin });
    const names = (all.json.users as Array<{ name: string }>).map((u) => u.name);
    expect(names).toEqual(['admin', 'bob', 'carol', 'reader']);
    expect(all.text).not.toContain('scrypt');
    const mine = await f.request('GET', '/v1/users', { auth: t.reader });
    expect((mine.json.users as Array<{ name: string }>).map((u) => u.name)).toEqual(['reader']);
    expect((await f.request('GET', '/v1/users/bob', { auth: t.bob })).json).toMatchObject({ name: 'bob', controllerAccess: 'login' });
    expect((await f.request('GET', '/v1/users/bob', { auth: t.carol })).status).toBe(403);
  });

  it('only a superuser adds and removes users; names, duplicates and bodies are checked', async () => {
    const body = { name: 'dave', password: 'dave-pw', displayName: 'Dave' };
    expect((await f.request('POST', '/v1/users', { auth: t.bob, body })).status).toBe(403);
    const added = await f.request('POST', '/v1/users', { auth: t.admin, body });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ name: 'dave', displayName: 'Dave', controllerAccess: 'login', models: [] });
    expect((await f.request('POST', '/v1/users', { auth: t.admin, body })).status).toBe(409);
    expect((await f.request('POST', '/v1/users', { auth: t.admin, body: { name: 'Not Valid', password: 'x' } })).status).toBe(400);
    expect((await f.request('POST', '/v1/users', { auth: t.admin, body: { name: 'eve', password: 'x', controllerAccess: 'root' } })).status).toBe(400);
    expect((await f.request('GET', '/v1/models', { auth: basic('dave', 'dave-pw') })).status).toBe(200);
    expect((await f.request('DELETE', '/v1/users/dave', { auth: t.bob })).status).toBe(403);
    expect((await f.request('DELETE', '/v1/users/dave', { auth: t.admin })).status).toBe(200);
    expect((await f.request('DELETE', '/v1/users/dave', { auth: t.admin })).status).toBe(404);
    expect((await f.request('GET', '/v1/models', { auth: basic('dave', 'dave-pw') })).status).toBe(401);
  });

  it('a user changes their own password (tokens revoked); changing another user\'s takes a superuser', async () => {
    await f.auth.admin.addUser({ name: 'frank', password: 'frank-pw' });
    const token = `Bearer ${String((await f.request('POST', '/v1/login', { auth: basic('frank', 'frank-pw') })).json.token)}`;
    expect((await f.request('PUT', '/v1/users/bob/password', { auth: token, body: { password: 'x' } })).status).toBe(403);
    expect((await f.request('PUT', '/v1/users/frank/password', { auth: token, body: { password: '' } })).status).toBe(400);
    expect((await f.request('PUT', '/v1/users/frank/password', { auth: token, body: { password: 'frank-2' } })).status).toBe(200);
    expect((await f.request('GET', '/v1/users', { auth: token })).status).toBe(401);
    expect((await f.request('GET', '/v1/users', { auth: basic('frank', 'frank-pw') })).status).toBe(401);
    expect((await f.request('GET', '/v1/users', { auth: basic('frank', 'frank-2') })).status).toBe(200);
    expect((await f.request('PUT', '/v1/users/frank/password', { auth: t.admin, body: { password: 'frank-3' } })).status).toBe(200);
  });

  it('grants: a model admin or superuser grants and revokes; access follows at once', async () => {
    const uuid = (await f.request('POST', '/v1/models', { auth: t.bob, body: { name: 'shared' } })).json.uuid as string;
    expect((await f.request('GET', `/v1/models/${uuid}/entities`, { auth: t.carol })).status).toBe(403);
    expect((await f.request('PUT', `/v1/users/carol/access/${uuid}`, { auth: t.carol, body: { access: 'admin' } })).status).toBe(403);
    expect((await f.request('PUT', `/v1/users/carol/access/${uuid}`, { auth: t.bob, body: { access: 'owner' } })).status).toBe(400);
    expect((await f.request('PUT', `/v1/users/carol/access/${uuid}`, { auth: t.bob, body: { access: 'read' } })).status).toBe(200);
    expect((await f.request('GET', `/v1/models/${uuid}/entities`, { auth: t.carol })).status).toBe(200);
    expect((await f.request('PUT', `/v1/models/${uuid}/entities/item/x`, { auth: t.carol, body: {} })).status).toBe(403);
    expect((await f.request('PUT', `/v1/users/nobody/access/${uuid}`, { auth: t.bob, body: { access: 'read' } })).status).toBe(404);
    expect((await f.request('DELETE', `/v1/users/carol/access/${uuid}`, { auth: t.bob })).status).toBe(200);
    expect((await f.request('DELETE', `/v1/users/carol/access/${uuid}`, { auth: t.bob })).status).toBe(404);
    expect((await f.request('GET', `/v1/models/${uuid}/entities`, { auth: t.carol })).status).toBe(403);
  });

  it('POST /v1/login needs Basic credentials (a token does not mint tokens)', async () => {
    expect((await f.request('POST', '/v1/login', { auth: t.bob })).status).toBe(401);
    expect((await f.request('POST', '/v1/login')).status).toBe(401);
    expect((await f.request('POST', '/v1/login', { auth: basic('bob', 'wrong') })).status).toBe(401);
    expect((await f.request('POST', '/v1/login?model=nope', { auth: 'bob' })).status).toBe(400);
  });
});
