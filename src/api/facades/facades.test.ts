// Facades over real sockets: Login results, access per facade and identity (spec §9), Entities'
// all-or-nothing writes and paging, WatchAll resume and resync, ModelGet/ModelInfo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENTS, CONTROLLER_UUID, Harness, M1, M2, RawClient, loggedIn, pw } from '../rpc/testdata/harness.js';
import type { Frame } from '../rpc/testdata/harness.js';

const machine = (id: string, data: Record<string, unknown> = {}): Record<string, unknown> => ({ kind: 'machine', entity: { 'model-uuid': M1, id, ...data } });
const names = (f: Frame): string[] => (f.response!.facades as Array<{ name: string }>).map((x) => x.name);
const DENIED = { error: 'permission denied', 'error-code': 'unauthorized access', response: {} };

describe('facades', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h.stop();
  });

  describe('Admin.Login', () => {
    it('answers the fields Juju clients read, without any discharge field', async () => {
      const c = await RawClient.open(`${h.url}/model/${M1}/api`);
      const r = (await c.login('user-reader', pw('reader'))).response!;
      expect(r).toMatchObject({
        'server-version': '3.6.0', 'controller-tag': `controller-${CONTROLLER_UUID}`, 'model-tag': `model-${M1}`,
        servers: [], 'public-dns-name': '',
        'user-info': { 'display-name': 'READER', identity: 'user-reader', 'controller-access': 'login', 'model-access': 'read' },
      });
      expect(Object.keys(r).filter((k) => k.includes('discharge'))).toEqual([]);
      expect(r.facades).toContainEqual({ name: 'Client', versions: [2, 3, 5, 6, 7, 8] });
      expect(r.facades).toContainEqual({ name: 'AllWatcher', versions: [1, 2, 3] });
      expect(names({ 'request-id': 1, response: r })).toEqual(['Admin', 'Pinger', 'Client', 'AllWatcher', 'ModelConfig', 'Entities', 'Presence']);
      c.close();
    });

    it('lists controller facades by identity: Controller and AllModelWatcher for superusers only', async () => {
      const admin = await RawClient.open(`${h.url}/api`);
      const ar = await admin.login('user-admin', pw('admin'));
      expect(names(ar)).toEqual(['Admin', 'Pinger', 'Controller', 'AllModelWatcher', 'ModelManager']);
      expect(ar.response!['model-tag']).toBeUndefined();
      expect(ar.response!['user-info']).toMatchObject({ 'controller-access': 'superuser', 'model-access': '' });
      const writer = await RawClient.open(`${h.url}/api`);
      expect(names(await writer.login('user-writer', pw('writer')))).toEqual(['Admin', 'Pinger', 'ModelManager']);
      admin.close();
      writer.close();
    });

    it('agents: only their own model, no user-info, and only the facades they may call', async () => {
      const c = await RawClient.open(`${h.url}/model/${M1}/api`);
      const r = await c.login('machine-0', AGENTS['machine-0']!);
      expect(names(r)).toEqual(['Admin', 'Pinger', 'Client', 'AllWatcher', 'ModelConfig', 'Entities']);
      expect(r.response!['user-info']).toBeUndefined();
      c.close();
      for (const url of [`${h.url}/model/${M2}/api`, `${h.url}/api`]) {
        const other = await RawClient.open(url);
        expect(await other.login('machine-0', AGENTS['machine-0']!)).toMatchObject({ error: 'invalid entity name or password' });
        other.close();
      }
    });

    it('[ours] issue-token: a password Login answers a bearer token that logs in again without the password; a token Login issues none', async () => {
      const url = `${h.url}/model/${M1}/api`;
      const c = await RawClient.open(url);
      const first = await c.call('Admin', 'Login', { version: 3, params: { 'auth-tag': 'user-reader', credentials: pw('reader'), 'issue-token': true } });
      const token = first.response?.token;
      expect(typeof token).toBe('string');
      c.close();
      const again = await RawClient.open(url);
      const second = await again.call('Admin', 'Login', { version: 3, params: { 'auth-tag': 'user-reader', credentials: '', token, 'issue-token': true } });
      expect(second.error).toBeUndefined();
      expect(second.response?.token).toBeUndefined();
      again.close();
      const plain = await RawClient.open(url);
      expect((await plain.login('user-reader', pw('reader'))).response?.token).toBeUndefined(); // not asked: none
      plain.close();
      const bad = await RawClient.open(url);
      expect(await bad.call('Admin', 'Login', { version: 3, params: { 'auth-tag': 'user-reader', credentials: pw('reader'), 'issue-token': 'yes' } }))
        .toMatchObject({ error: 'invalid request: issue-token must be a boolean' });
      bad.close();
    });

    it('a user without access to the model gets "permission denied"', async () => {
      const c = await RawClient.open(`${h.url}/model/${M1}/api`);
      expect(await c.login('user-nobody', pw('nobody'))).toMatchObject(DENIED);
      c.close();
    });
  });

  describe('access', () => {
    it('a read-only user watches and reads but cannot write', async () => {
      const c = await loggedIn(h, M1, 'user-reader', pw('reader'));
      expect((await c.call('Client', 'WatchAll', { version: 6 })).response).toHaveProperty('watcher-id');
      expect(await c.call('Entities', 'Update', { version: 1, params: { entities: [machine('9')] } })).toMatchObject(DENIED);
      expect(await c.call('Entities', 'Remove', { version: 1, params: { entities: [{ kind: 'machine', 'model-uuid': M1, id: '9' }] } })).toMatchObject(DENIED);
      expect((await c.call('Entities', 'List', { version: 1, params: {} })).response).toHaveProperty('revision');
      expect((await c.call('ModelConfig', 'ModelGet', { version: 3 })).response).toEqual({
        config: { name: { value: 'one', source: 'model' }, uuid: { value: M1, source: 'model' }, type: { value: 'iaas', source: 'default' } },
      });
      expect((await c.call('Presence', 'Watch', { version: 1, params: { keys: ['machine-0'] } })).response).toHaveProperty('watcher-id');
      expect(await h.state.get({ kind: 'machine', modelUUID: M1, id: '9' })).toBeUndefined();
      c.close();
    });

    it('agents update only their own entity, never remove, never watch presence', async () => {
      const c = await loggedIn(h, M1, 'machine-1', AGENTS['machine-1']!);
      expect(await c.call('Pinger', 'Ping', { version: 1 })).toMatchObject({ response: {} });
      expect((await c.call('Client', 'WatchAll', { version: 8 })).response).toHaveProperty('watcher-id');
      expect((await c.call('Entities', 'Update', { version: 1, params: { entities: [machine('1', { series: 'noble' })] } })).response).toHaveProperty('revision');
      expect(await h.state.get({ kind: 'machine', modelUUID: M1, id: '1' })).toMatchObject({ data: { series: 'noble' } });
      expect(await c.call('Entities', 'Update', { version: 1, params: { entities: [machine('1'), machine('2')] } })).toMatchObject(DENIED);
      expect(await h.state.get({ kind: 'machine', modelUUID: M1, id: '2' })).toBeUndefined();
      expect(await c.call('Entities', 'Remove', { version: 1, params: { entities: [{ kind: 'machine', 'model-uuid': M1, id: '1' }] } })).toMatchObject(DENIED);
      expect(await c.call('Presence', 'Watch', { version: 1, params: { keys: ['machine-0'] } })).toMatchObject(DENIED);
      c.close();
    });

    it('controller watching needs superuser; ModelInfo denies unreadable and unknown models per item', async () => {
      const w = await loggedIn(h, undefined, 'user-writer', pw('writer'));
      expect(await w.call('Controller', 'WatchAllModels', { version: 11 })).toMatchObject(DENIED);
      expect(await w.call('AllModelWatcher', 'Next', { version: 4, id: '1' })).toMatchObject(DENIED);
      const r = await w.call('ModelManager', 'ModelInfo', {
        version: 9, params: { entities: [{ tag: `model-${M2}` }, { tag: 'model-33333333-3333-4333-8333-333333333333' }, { Tag: 'junk' }] },
      });
      const denied = { error: { message: 'permission denied', code: 'unauthorized access' } };
      expect(r.response).toEqual({
        results: [
          { result: { uuid: M2, name: 'two', type: 'iaas', 'controller-uuid': CONTROLLER_UUID, 'owner-tag': 'user-admin', life: 'alive', users: [], machines: [] } },
          denied, denied,
        ],
      });
      const reader = await loggedIn(h, undefined, 'user-reader', pw('reader'));
      expect((await reader.call('ModelManager', 'ModelInfo', { version: 9, params: { entities: [{ tag: `model-${M2}` }] } })).response).toEqual({ results: [denied] });
      w.close();
      reader.close();
    });
  });

  describe('Entities', () => {
    it('applies all items in one transaction, or nothing when one item is invalid', async () => {
      const c = await loggedIn(h, M1, 'user-writer', pw('writer'));
      const bad = await c.call('Entities', 'Update', { version: 1, params: { entities: [machine('20'), { kind: 'machine', entity: { 'model-uuid': M1 } }] } });
      expect(bad).toMatchObject({ error: 'invalid request: entities[1]: machine entity: id field "id" must be a string', 'error-code': 'bad request' });
      const other = await c.call('Entities', 'Update', { version: 1, params: { entities: [{ kind: 'unit', entity: { 'model-uuid': M2, name: 'a/0' } }] } });
      expect(other.error).toBe(`invalid request: entities[0]: model-uuid "${M2}" is not the model of this connection`);
      expect((await c.call('Entities', 'Update', { version: 1, params: { entities: [{ kind: 'Bad Kind', entity: {} }] } })).error).toMatch(/^invalid request: entities\[0\]: kind "Bad Kind" not valid/);
      expect(await h.state.get({ kind: 'machine', modelUUID: M1, id: '20' })).toBeUndefined();
      const ok = await c.call('Entities', 'Update', { version: 1, params: { entities: [machine('20', { n: 1 }), machine('21'), { kind: 'widget', entity: { 'model-uuid': M1, id: 'w', size: 3 } }] } });
      const rev = ok.response!.revision as number;
      expect(rev).toBe(await h.state.revision());
      // A deep-equal update changes nothing and answers the current revision.
      expect((await c.call('Entities', 'Update', { version: 1, params: { entities: [machine('20', { n: 1 })] } })).response).toEqual({ revision: rev });
      const got = await c.call('Entities', 'Get', {
        version: 1, params: { entities: [{ kind: 'widget', 'model-uuid': M1, id: 'w' }, { kind: 'machine', 'model-uuid': M1, id: 'nope' }] },
      });
      expect(got.response).toEqual({ results: [{ entity: { 'model-uuid': M1, id: 'w', size: 3 } }, { error: { message: 'not found', code: 'not found' } }] });
      const removed = await c.call('Entities', 'Remove', { version: 1, params: { entities: [{ kind: 'machine', 'model-uuid': M1, id: '21' }, { kind: 'machine', 'model-uuid': M1, id: 'absent' }] } });
      expect(removed.response!.revision).toBe(rev + 1);
      expect(await h.state.get({ kind: 'machine', modelUUID: M1, id: '21' })).toBeUndefined();
      c.close();
    });

    it('List pages in (kind, id) order with after/limit/more', async () => {
      const c = await loggedIn(h, M1, 'user-writer', pw('writer'));
      await c.call('Entities', 'Update', { version: 1, params: { entities: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ kind: 'gadget', entity: { 'model-uuid': M1, id } })) } });
      const seen: string[] = [];
      let after: unknown;
      for (let page = 0; page < 10; page++) {
        const r = (await c.call('Entities', 'List', { version: 1, params: { kinds: ['gadget'], limit: 2, ...(after === undefined ? {} : { after }) } })).response!;
        const items = r.entities as Array<{ kind: string; entity: { id: string } }>;
        seen.push(...items.map((i) => i.entity.id));
        if (r.more !== true) break;
        after = { kind: 'gadget', id: items.at(-1)!.entity.id };
      }
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect((await c.call('Entities', 'List', { version: 1, params: { limit: 0 } })).error).toBe('invalid request: limit must be an integer from 1 to 10000');
      // The cursor is validated like an entity id; no kinds at all is an empty page.
      expect((await c.call('Entities', 'List', { version: 1, params: { after: { kind: 'gadget', id: '' } } })).error).toMatch(/^invalid request: query\.after\.id not valid/);
      expect((await c.call('Entities', 'List', { version: 1, params: { after: { kind: 'Bad Kind', id: 'a' } } })).error).toMatch(/^invalid request: query\.after\.kind/);
      expect((await c.call('Entities', 'List', { version: 1, params: { kinds: [] } })).response).toMatchObject({ entities: [] });
      c.close();
    });
  });

  describe('watching', () => {
    it('first Next is the full state with reset and revision; later Nexts carry deltas and a growing revision', async () => {
      const c = await loggedIn(h, M1, 'user-admin', pw('admin'));
      const wid = (await c.call('Client', 'WatchAll', { version: 8, params: {} })).response!['watcher-id'] as string;
      const first = (await c.call('AllWatcher', 'Next', { version: 3, id: wid })).response!;
      expect(first.reset).toBe(true);
      expect(first.revision).toBe(await h.state.revision());
      expect(first.deltas).toContainEqual(['model', 'change', { 'model-uuid': M1, name: 'one', 'owner-tag': 'user-admin' }]);
      const next = c.call('AllWatcher', 'Next', { version: 3, id: wid });
      const rev = await h.state.update({ kind: 'unit', modelUUID: M1, id: 'mysql/0', data: { life: 'alive' } });
      const second = (await next).response!;
      expect(second).toEqual({ revision: rev, deltas: [['unit', 'change', { 'model-uuid': M1, name: 'mysql/0', life: 'alive' }]] });
      c.close();
    });

    it('since-revision resumes with only later changes, and asks for a resync outside the window', async () => {
      const c = await loggedIn(h, M1, 'user-admin', pw('admin'));
      const since = await h.state.update({ kind: 'unit', modelUUID: M1, id: 'pg/0', data: { v: 1 } });
      await h.state.update({ kind: 'unit', modelUUID: M1, id: 'pg/1', data: { v: 1 } });
      const resumed = await c.call('Client', 'WatchAll', { version: 8, params: { 'since-revision': since } });
      expect(resumed.response!['resync-required']).toBeUndefined();
      const batch = (await c.call('AllWatcher', 'Next', { version: 3, id: resumed.response!['watcher-id'] as string })).response!;
      expect(batch).toEqual({ revision: since + 1, deltas: [['unit', 'change', { 'model-uuid': M1, name: 'pg/1', v: 1 }]] });
      const resync = await c.call('Client', 'WatchAll', { version: 8, params: { 'since-revision': since + 1000 } });
      expect(resync.response!['resync-required']).toBe(true);
      const full = (await c.call('AllWatcher', 'Next', { version: 3, id: resync.response!['watcher-id'] as string })).response!;
      expect(full.reset).toBe(true);
      expect((full.deltas as unknown[]).length).toBeGreaterThan(2);
      expect((await c.call('Client', 'WatchAll', { version: 8, params: { 'since-revision': -1 } })).error).toBe(
        'invalid request: since-revision must be a non-negative integer',
      );
      c.close();
    });

    it('AllModelWatcher sees every model; watcher ids are per facade', async () => {
      const c = await loggedIn(h, undefined, 'user-admin', pw('admin'));
      const wid = (await c.call('Controller', 'WatchAllModels', { version: 11 })).response!['watcher-id'] as string;
      const first = (await c.call('AllModelWatcher', 'Next', { version: 4, id: wid })).response!;
      const models = (first.deltas as Array<[string, string, Record<string, unknown>]>).filter((d) => d[0] === 'model').map((d) => d[2]['model-uuid']);
      expect(models.sort()).toEqual([M1, M2]);
      expect(await c.call('AllModelWatcher', 'Stop', { version: 4, params: { Id: wid } })).toMatchObject({ response: {} });
      const m = await loggedIn(h, M1, 'user-admin', pw('admin'));
      const aw = (await m.call('Client', 'WatchAll', { version: 8 })).response!['watcher-id'] as string;
      expect(await m.call('Presence', 'Next', { version: 1, id: aw })).toMatchObject({ error: 'unknown watcher id', 'error-code': 'not found' });
      c.close();
      m.close();
    });
  });
});
